import request from 'supertest';
import { useApp } from './support/api';
import { phoneNumber } from './factories/batch.factory';
import { committedOpenApi, openApiDrift } from '../src/openapi/committed-openapi';
import { canonicalOpenApiJson } from '../src/openapi/openapi-document';

describe('template preview and API documentation', () => {
  const service = useApp();

  it.each([
    [
      'fills what it can and leaves the rest as written',
      'Hi {{ name }}, code {{code}}',
      { name: 'Ada' },
      {
        rendered: 'Hi Ada, code {{code}}',
        variables: { used: ['name'], missing: ['code'] },
        encoding: 'GSM-7',
        characters: 25,
        segments: 1,
      },
    ], // each brace costs two septets,
    [
      'counts extension characters twice',
      'Price: {{p}}€',
      { p: '5' },
      { rendered: 'Price: 5€', encoding: 'GSM-7', characters: 10, segments: 1 },
    ],
    [
      'switches to UCS-2 for other characters',
      'Привет {{name}}',
      { name: 'Ада' },
      { rendered: 'Привет Ада', encoding: 'UCS-2', characters: 10, segments: 1 },
    ],
    [
      'splits long GSM-7 text at 153',
      'a'.repeat(161),
      {},
      { encoding: 'GSM-7', characters: 161, segments: 2 },
    ],
    [
      'counts an emoji as two UCS-2 units',
      'ok 👍',
      {},
      { encoding: 'UCS-2', characters: 5, segments: 1 },
    ],
  ])('POST /api/template/preview %s', async (_name, text, variables, expected) => {
    const response = await service.client
      .post('/api/template/preview', { text, variables })
      .expect(200);
    expect(response.body).toMatchObject(expected);
  });

  it.each([
    ['an invalid placeholder', { text: 'Hi {{first name}}' }, 'text'],
    ['text over 1600 characters', { text: 'a'.repeat(1601) }, 'text'],
    ['missing text', { variables: {} }, 'text'],
    ['a 100,000-character text full of placeholders', { text: '{{v}}'.repeat(20_000) }, 'text'],
    ['a non-string variable', { text: 'Hi {{n}}', variables: { n: 5 } }, 'variables.n'],
    ['an unknown field', { text: 'Hi', extra: true }, 'extra'],
  ])('400 for %s, naming the field', async (_name, body, path) => {
    const response = await service.client.post('/api/template/preview', body).expect(400);
    expect(response.body.error).toBe('VALIDATION_FAILED');
    expect(response.body.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path })]),
    );
  });

  it.each([
    [
      'a value of 1,040,000 characters in 320 placeholders',
      { text: '{{a}}'.repeat(320), variables: { a: 'x'.repeat(1_040_000) } },
      'variables.a',
    ],
    [
      'a value of 1601 characters',
      { text: 'Hi {{a}}', variables: { a: 'x'.repeat(1601) } },
      'variables.a',
    ],
    [
      '101 variables',
      {
        text: 'Hi',
        variables: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, 'x'])),
      },
      'variables',
    ],
    [
      'values that render past 1600 characters',
      { text: '{{a}}{{b}}'.repeat(160), variables: { a: 'x'.repeat(1600), b: 'y'.repeat(1600) } },
      'variables',
    ],
  ])(
    'POST /api/template/preview answers %s with a small 400 naming the field',
    async (_name, body, path) => {
      // The body stays under 1 MB: the preview's own body limit.
      expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(1024 * 1024);
      const response = await service.client.post('/api/template/preview', body).expect(400);
      expect(response.body).toMatchObject({
        statusCode: 400,
        error: 'VALIDATION_FAILED',
        details: [{ path, message: expect.any(String) }],
      });
      expect(response.text.length).toBeLessThan(2000);
    },
  );

  it('POST /api/batch answers a 2 MB value in 320 placeholders with a 400 naming the recipient and variable', async () => {
    const response = await service.client
      .post('/api/batch', {
        text: '{{n}}'.repeat(320),
        recipients: [
          { phoneNumber: phoneNumber(0), variables: { n: 'ok' } },
          { phoneNumber: phoneNumber(1), variables: { n: 'x'.repeat(2 * 1024 * 1024) } },
        ],
        options: { autoStart: false },
      })
      .expect(400);
    expect(response.body).toMatchObject({
      statusCode: 400,
      error: 'VALIDATION_FAILED',
      details: [
        {
          path: 'recipients[1].variables.n',
          index: 1,
          message: `must be at most 1600 characters (UTF-16 units); it has ${2 * 1024 * 1024}`,
        },
      ],
    });
  });

  it('preview and batch both take variables named constructor, toString and valueOf', async () => {
    const text = 'Hi {{constructor}} {{toString}} {{valueOf}}';
    const variables = { constructor: 'a', toString: 'b', valueOf: 'c' };
    const preview = await service.client
      .post('/api/template/preview', { text, variables })
      .expect(200);
    expect(preview.body).toMatchObject({
      rendered: 'Hi a b c',
      variables: { used: ['constructor', 'toString', 'valueOf'], missing: [] },
    });
    const batch = await service.client
      .post('/api/batch', {
        text,
        recipients: [{ phoneNumber: phoneNumber(0), variables }],
        options: { autoStart: false },
      })
      .expect(201);
    expect(batch.body.segments).toBe(1);
  });

  it('preview and batch both report {{constructor}} without a value as missing', async () => {
    const preview = await service.client
      .post('/api/template/preview', { text: 'Hi {{constructor}}', variables: {} })
      .expect(200);
    expect(preview.body).toMatchObject({
      rendered: 'Hi {{constructor}}',
      variables: { used: [], missing: ['constructor'] },
    });
    const batch = await service.client
      .post('/api/batch', {
        text: 'Hi {{constructor}}',
        recipients: [{ phoneNumber: phoneNumber(0), variables: {} }],
        options: { autoStart: false },
      })
      .expect(400);
    expect(batch.body.details).toEqual([
      { path: 'recipients[0].variables.constructor', index: 0, message: 'is missing' },
    ]);
  });

  it('serves Swagger UI and the OpenAPI document without a key, with the bearer scheme and every route', async () => {
    await request(service.app.url).get('/api/docs').expect(200).expect('Content-Type', /html/);
    const doc = (await request(service.app.url).get('/api/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/batch',
        '/api/batch/{id}',
        '/api/batch/{id}/messages',
        '/api/template/preview',
        '/api/batch/{id}/start',
        '/api/batch/{id}/pause',
        '/api/batch/{id}/resume',
        '/api/batch/{id}/cancel',
        '/api/batch/{id}/retry-failed',
        '/api/batch/{id}/errors',
        '/api/batch/{id}/analytics',
        '/health',
        '/health/ready',
        '/metrics',
      ]),
    );
    const create = doc.paths['/api/batch'].post;
    expect(Object.keys(create.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '409', '413', '422', '500']),
    );
    expect(create.requestBody.content['application/json'].schema.$ref).toMatch(/CreateBatchDto/);
    const preview = doc.paths['/api/template/preview'].post;
    expect(preview.requestBody.content['application/json'].schema.$ref).toMatch(
      /TemplatePreviewRequestDto/,
    );
    expect(doc.components.schemas.TemplatePreviewRequestDto.properties).toMatchObject({
      text: { minLength: 1, maxLength: 1600 },
      variables: { maxProperties: 100, additionalProperties: { type: 'string', maxLength: 1600 } },
    });
    const limit = doc.paths['/api/batch'].get.parameters.find(
      (p: { name: string }) => p.name === 'limit',
    );
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500 });
    expect(doc.components.schemas.CreatedBatchDto).toBeDefined();
    expect(doc.components.schemas.BatchStatusDto.properties.progress).toBeDefined();
    const errors = doc.paths['/api/batch/{id}/errors'].get;
    expect(errors.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['id', 'category', 'code', 'limit', 'cursor']),
    );
    expect(doc.components.schemas.ErrorSummaryDto.properties.category.enum).toContain('timeout');
    expect(doc.components.schemas.RetryFailedResultDto.properties.requeued).toBeDefined();
    expect(Object.keys(doc.components.schemas.BatchAnalyticsDto.properties)).toEqual(
      expect.arrayContaining(['allottedRate', 'achievedRate', 'timeline', 'limiterWaitMs']),
    );
  });

  it('serves the document committed as docs/openapi.json', async () => {
    const served: unknown = (await request(service.app.url).get('/api/docs-json').expect(200)).body;
    const drift = openApiDrift(committedOpenApi(), canonicalOpenApiJson(served));
    if (drift) throw new Error(drift);
  });

  it('answers an unknown route with the error body', async () => {
    const response = await service.client.get('/api/nothing-here').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
  });
});

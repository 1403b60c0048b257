import request from 'supertest';
import { useApp } from './support/api';

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

  it('answers an unknown route with the error body', async () => {
    const response = await service.client.get('/api/nothing-here').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
  });
});

import request from 'supertest';
import { useApp } from './support/api';
import { tableCounts } from './support/database';
import { testEnv } from './support/test-env';
import { batchBody, phoneNumber, recipients, TEMPLATE } from './factories/batch.factory';

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const deep = (depth: number) =>
  `{"text":"Hi","recipients":[{"phoneNumber":"+12025550100"}],"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;

interface Detail {
  path: string;
  message: string;
  index?: number;
}

describe('POST /api/batch rejects bad input with a 4xx naming the field and recipient', () => {
  const service = useApp({ MAX_RECIPIENTS_PER_REQUEST: '1000', MAX_BODY_MB: '1' });
  const later = () => new Date(Date.now() + 3_600_000).toISOString();

  /** Every rejection must leave the database exactly as it was. */
  async function expectRejected(
    body: unknown,
    status: number,
    error: string,
  ): Promise<{ message: string; details: Detail[]; detailsTotal?: number }> {
    const before = await tableCounts(testEnv().databaseUrl);
    const response = await service.client.post('/api/batch', body).expect(status);
    expect(response.body).toMatchObject({ statusCode: status, error });
    expect(typeof response.body.message).toBe('string');
    expect(await tableCounts(testEnv().databaseUrl)).toEqual(before);
    return response.body;
  }

  const one = (variables: Record<string, unknown>, phone = phoneNumber(0)) => [
    { phoneNumber: phone, variables },
  ];

  it.each<[string, unknown, Partial<Detail>]>([
    ['a body that is not an object', [1, 2], { path: '' }],
    [
      'an unknown top-level field',
      { ...batchBody(), sender: 'x' },
      { path: 'sender', message: 'is not an allowed field' },
    ],
    ['missing text', { recipients: recipients(1) }, { path: 'text' }],
    ['empty text', batchBody({ text: '' }), { path: 'text' }],
    ['text over 1600 characters', batchBody({ text: 'a'.repeat(1601) }), { path: 'text' }],
    [
      'text that is not a string',
      batchBody({ text: 42 }),
      { path: 'text', message: 'must be a string' },
    ],
    ['an invalid placeholder', batchBody({ text: 'Hi {{first-name}}' }), { path: 'text' }],
    ['missing recipients', { text: TEMPLATE }, { path: 'recipients' }],
    [
      'an empty recipient list',
      batchBody({ recipients: [] }),
      { path: 'recipients', message: 'must hold at least one recipient' },
    ],
    ['options that are not an object', batchBody({ options: 'fast' }), { path: 'options' }],
    ['an unknown option', batchBody({ options: { speed: 1 } }), { path: 'options.speed' }],
    [
      'an unknown priority',
      batchBody({ options: { priority: 'urgent' } }),
      { path: 'options.priority' },
    ],
    [
      'a non-boolean autoStart',
      batchBody({ options: { autoStart: 'yes' } }),
      { path: 'options.autoStart' },
    ],
    [
      'a scheduleTime without offset',
      batchBody({ options: { scheduleTime: '2099-01-01T10:00:00' } }),
      { path: 'options.scheduleTime' },
    ],
    [
      'a scheduleTime that is not a date',
      batchBody({ options: { scheduleTime: '2099-13-45T10:00:00Z' } }),
      { path: 'options.scheduleTime' },
    ],
    [
      'a scheduleTime in the past',
      batchBody({ options: { scheduleTime: '2020-01-01T00:00:00Z' } }),
      { path: 'options.scheduleTime' },
    ],
  ])('400 for %s', async (_name, body, detail) => {
    const error = await expectRejected(body, 400, 'VALIDATION_FAILED');
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining(detail)]));
  });

  it.each<[string, unknown[], Detail]>([
    [
      'a recipient that is not an object',
      ['+12025550100'],
      { path: 'recipients[0]', index: 0, message: expect.any(String) },
    ],
    [
      'an unknown recipient field',
      [{ phoneNumber: phoneNumber(0), variables: { name: 'a', code: '1' }, email: 'x' }],
      { path: 'recipients[0].email', index: 0, message: 'is not an allowed field' },
    ],
    [
      'a phone number that is not a string',
      [{ phoneNumber: 12025550100, variables: { name: 'a', code: '1' } }],
      { path: 'recipients[0].phoneNumber', index: 0, message: 'must be a string' },
    ],
    [
      'an invalid phone number',
      one({ name: 'a', code: '1' }, '+1202555019'),
      {
        path: 'recipients[0].phoneNumber',
        index: 0,
        message: expect.stringContaining('+1202555019'),
      },
    ],
    [
      'a number without country code and no DEFAULT_COUNTRY',
      one({ name: 'a', code: '1' }, '2025550100'),
      {
        path: 'recipients[0].phoneNumber',
        index: 0,
        message: expect.stringContaining('2025550100'),
      },
    ],
    [
      'variables that are not an object',
      [{ phoneNumber: phoneNumber(0), variables: ['a'] }],
      { path: 'recipients[0].variables', index: 0, message: expect.any(String) },
    ],
    [
      'a missing variable',
      one({ name: 'a' }),
      { path: 'recipients[0].variables.code', index: 0, message: 'is missing' },
    ],
    [
      'an empty variable',
      one({ name: 'a', code: '' }),
      { path: 'recipients[0].variables.code', index: 0, message: 'must not be empty' },
    ],
    [
      'a numeric variable',
      one({ name: 'a', code: 42 }),
      { path: 'recipients[0].variables.code', index: 0, message: 'must be a string' },
    ],
    [
      'a non-string unused variable',
      one({ name: 'a', code: '1', age: 30 }),
      { path: 'recipients[0].variables.age', index: 0, message: 'must be a string' },
    ],
    [
      'a near miss instead of the variable',
      one({ name: 'a', Code: '1' }),
      {
        path: 'recipients[0].variables.code',
        index: 0,
        message: expect.stringContaining('"Code"'),
      },
    ],
    [
      'a rendered message over 1600 characters',
      one({ name: 'a'.repeat(1590), code: '1' }),
      { path: 'recipients[0]', index: 0, message: expect.stringContaining('1600') },
    ],
  ])('400 for %s, naming the recipient index and path', async (_name, list, detail) => {
    const body = {
      text: TEMPLATE,
      recipients: [
        ...recipients(2).map((r, i) => ({ ...r, phoneNumber: phoneNumber(100 + i) })),
        ...list,
      ],
    };
    const adjusted = {
      ...detail,
      path: detail.path.replace('recipients[0]', 'recipients[2]'),
      index: 2,
    };
    const error = await expectRejected(body, 400, 'VALIDATION_FAILED');
    expect(error.details).toEqual([adjusted]);
  });

  it('lists every invalid recipient at once, in index order, capped at 100 with detailsTotal', async () => {
    const list = recipients(250).map((r, i) => (i % 2 ? r : { ...r, variables: { name: 'x' } }));
    list[1] = { phoneNumber: 'not a number', variables: { name: 'y', code: '1' } };
    const error = await expectRejected(
      { text: TEMPLATE, recipients: list },
      400,
      'VALIDATION_FAILED',
    );
    expect(error.detailsTotal).toBe(126);
    expect(error.details).toHaveLength(100);
    expect(error.details.slice(0, 3)).toEqual([
      { path: 'recipients[0].variables.code', index: 0, message: 'is missing' },
      {
        path: 'recipients[1].phoneNumber',
        index: 1,
        message: expect.stringContaining('not a number'),
      },
      { path: 'recipients[2].variables.code', index: 2, message: 'is missing' },
    ]);
  });

  it('413 TOO_MANY_RECIPIENTS above MAX_RECIPIENTS_PER_REQUEST', async () => {
    const error = await expectRejected(
      { text: TEMPLATE, recipients: recipients(1001) },
      413,
      'TOO_MANY_RECIPIENTS',
    );
    expect(error.message).toContain('1000');
  });

  it('413 PAYLOAD_TOO_LARGE above MAX_BODY_MB', async () => {
    const before = await tableCounts(testEnv().databaseUrl);
    const response = await service.client.post('/api/batch', {
      text: TEMPLATE,
      recipients: one({ name: 'x'.repeat(1_100_000), code: '1' }),
    });
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ statusCode: 413, error: 'PAYLOAD_TOO_LARGE' });
    expect(await tableCounts(testEnv().databaseUrl)).toEqual(before);
  });

  it('400 for a body that is not JSON', async () => {
    const response = await request(service.app.url)
      .post('/api/batch')
      .set('Authorization', `Bearer ${testEnv().bootstrapApiKey}`)
      .set('Content-Type', 'application/json')
      .send('{"text": "Hi", ');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'VALIDATION_FAILED',
      message: 'The request body is not a valid JSON object or array.',
    });
  });

  it('400 INVALID_ID for a malformed id and 404 BATCH_NOT_FOUND for an unknown one', async () => {
    const malformed = await service.client.get('/api/batch/not-a-uuid').expect(400);
    expect(malformed.body).toMatchObject({
      error: 'INVALID_ID',
      details: [{ path: 'id', message: expect.any(String) }],
    });
    await service.client.get('/api/batch/not-a-uuid/messages').expect(400);
    const unknown = await service.client
      .get('/api/batch/00000000-0000-4000-8000-000000000000')
      .expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'BATCH_NOT_FOUND' });
  });

  it.each([
    ['limit above 500', '/api/batch?limit=501', 'limit'],
    ['limit zero', '/api/batch?limit=0', 'limit'],
    ['a non-numeric limit', '/api/batch?limit=ten', 'limit'],
    ['an unknown status', '/api/batch?status=sent', 'status'],
    ['a forged cursor', '/api/batch?cursor=bm90LWEtY3Vyc29y', 'cursor'],
    [
      'a cursor with a date PostgreSQL would refuse',
      `/api/batch?cursor=${cursor({ createdAt: '1', id: '00000000-0000-4000-8000-000000000000' })}`,
      'cursor',
    ],
    ['an unknown query parameter', '/api/batch?sort=asc', 'sort'],
  ])('400 for %s on a list', async (_name, path, field) => {
    const response = await service.client.get(path).expect(400);
    expect(response.body.error).toBe('VALIDATION_FAILED');
    expect(response.body.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: field })]),
    );
  });

  it.each([
    ['year 0000', '0000-01-01T00:00:00.000Z'],
    ['year +275760', '+275760-09-13T00:00:00.000Z'],
    ['year -271821', '-271821-04-20T00:00:00.000Z'],
    ['year 1969', '1969-12-31T23:59:59.999Z'],
  ])('400, never a 500, for a batch-list cursor dated %s', async (_name, createdAt) => {
    const forged = cursor({ createdAt, id: '00000000-0000-4000-8000-000000000000' });
    const response = await service.client.get(`/api/batch?cursor=${forged}`).expect(400);
    expect(response.body).toMatchObject({
      error: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ path: 'cursor' })],
    });
  });

  it("reads every list's ?limit= as decimal digits only", async () => {
    const { id } = (await service.client.post('/api/batch', batchBody()).expect(201)).body;
    for (const list of ['/api/batch', `/api/batch/${id}/messages`, `/api/batch/${id}/errors`]) {
      for (const limit of ['1e2', '0x10', '%205', '5.0', '+5']) {
        const response = await service.client.get(`${list}?limit=${limit}`);
        expect({ list, limit, status: response.status }).toEqual({ list, limit, status: 400 });
        expect(response.body).toMatchObject({
          error: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ path: 'limit' })],
        });
      }
      await service.client.get(`${list}?limit=007`).expect(200);
    }
  });

  it('400 for a message-log cursor beyond any position', async () => {
    const created = await service.client.post('/api/batch', batchBody()).expect(201);
    const response = await service.client
      .get(`/api/batch/${created.body.id}/messages?cursor=${cursor({ seq: 2 ** 53 - 1 })}`)
      .expect(400);
    expect(response.body.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
  });

  it.each<[string, string, Record<string, string>]>([
    ['a body nested deeper than 32 levels', deep(40), {}],
    ['a deeply nested body with an Idempotency-Key', deep(5_000), { 'Idempotency-Key': 'deep-1' }],
    [
      'a "__proto__" key',
      '{"text":"Hi","recipients":[{"phoneNumber":"+12025550100","variables":{"__proto__":{}}}]}',
      {},
    ],
    ['a JSON null body', 'null', {}],
  ])('400, never a 500, for %s', async (_name, raw, headers) => {
    const before = await tableCounts(testEnv().databaseUrl);
    const response = await request(service.app.url)
      .post('/api/batch')
      .set('Authorization', `Bearer ${testEnv().bootstrapApiKey}`)
      .set('Content-Type', 'application/json')
      .set(headers)
      .send(raw);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'VALIDATION_FAILED' });
    expect(await tableCounts(testEnv().databaseUrl)).toEqual(before);
  });

  it('400 for a body in a charset other than UTF-8', async () => {
    const response = await request(service.app.url)
      .post('/api/batch')
      .set('Authorization', `Bearer ${testEnv().bootstrapApiKey}`)
      .set('Content-Type', 'application/json; charset=utf-7')
      .send(JSON.stringify(batchBody()));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'VALIDATION_FAILED' });
  });

  it('a scheduled batch in the future is accepted (control for the past-schedule case)', async () => {
    await service.client
      .post('/api/batch', batchBody({ options: { scheduleTime: later() } }))
      .expect(201);
  });
});

describe('a large request rejected after its rows started streaming into PostgreSQL', () => {
  const service = useApp();

  it('leaves nothing: 20,001 recipients with one bad number at index 15,000', async () => {
    const list = recipients(20_001);
    list[15_000] = { ...list[15_000], phoneNumber: '+1202555019' };
    const before = await tableCounts(testEnv().databaseUrl);
    const response = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list })
      .expect(400);
    expect(response.body.details).toEqual([
      {
        path: 'recipients[15000].phoneNumber',
        index: 15_000,
        message: expect.stringContaining('+1202555019'),
      },
    ]);
    expect(await tableCounts(testEnv().databaseUrl)).toEqual(before);
  });
});

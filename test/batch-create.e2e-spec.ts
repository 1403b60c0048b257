import { startApp } from './support/app-process';
import { api, useApp } from './support/api';
import { query } from './support/database';
import { testEnv } from './support/test-env';
import { batchBody, phoneNumber, recipients, TEMPLATE } from './factories/batch.factory';

describe('POST /api/batch stores a batch that reads back exactly', () => {
  const service = useApp();

  it('answers 201 with the flat status body and a Location header, and GET returns the same', async () => {
    const created = await service.client
      // Not started, so that nothing moves between the answer and the read.
      .post('/api/batch', batchBody({ options: { priority: 'high', autoStart: false } }, 3))
      .expect(201);
    const body = created.body;
    expect(created.headers.location).toBe(`/api/batch/${body.id}`);
    expect(body).toMatchObject({
      status: 'pending',
      priority: 'high',
      text: TEMPLATE,
      progress: { total: 3, pending: 3, completed: 0, failed: 0, cancelled: 0 },
      delivery: { delivered: 0, undelivered: 0, awaiting: 0, unknown: 0 },
      metrics: { messagesPerSecond: 0, successRate: 0, deliveryRate: null },
      segments: 3,
      encodings: ['GSM-7'],
      scheduleTime: null,
      completedAt: null,
      pauseReason: null,
      failureReason: null,
      warnings: [],
      duplicatesDropped: 0,
      suppressedDropped: 0,
    });
    expect(body.startedAt).toBeNull();

    const read = await service.client.get(`/api/batch/${body.id}`).expect(200);
    const { warnings, duplicatesDropped, suppressedDropped, ...status } = body;
    expect(read.body).toEqual(status);
    expect(warnings).toEqual([]);
    expect(duplicatesDropped).toBe(0);
    expect(suppressedDropped).toBe(0);
  });

  it('stores each message in recipient order, in E.164, with only the used variables', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: 'Hello {{ name }}',
        options: { autoStart: false },
        recipients: [
          { phoneNumber: '+1 (202) 555-0100', variables: { name: 'Ada', extra: 'x' } },
          { phoneNumber: '+12025550101', variables: { name: 'Grace' } },
        ],
      })
      .expect(201);
    const log = await service.client.get(`/api/batch/${created.body.id}/messages`).expect(200);
    expect(log.body.nextCursor).toBeNull();
    expect(log.body.items).toEqual([
      expect.objectContaining({
        phoneNumber: '+12025550100',
        status: 'pending',
        attempts: 0,
        segments: 1,
        sentAt: null,
        providerMessageId: null,
        lastError: null,
        deliveryStatus: null,
        deliveredAt: null,
        deliveryError: null,
        providerStatus: null,
        resolution: null,
      }),
      expect.objectContaining({
        phoneNumber: '+12025550101',
        status: 'pending',
        attempts: 0,
        segments: 1,
      }),
    ]);
    const rows = await query<{ variables: Record<string, string> }>(
      testEnv().databaseUrl,
      'SELECT variables FROM messages WHERE batch_id = $1 ORDER BY seq',
      [created.body.id],
    );
    expect(rows.map((r) => r.variables)).toEqual([{ name: 'Ada' }, { name: 'Grace' }]);
  });

  it.each([
    ['autoStart false', 'pending', false, { autoStart: false }],
    [
      'a future schedule',
      'pending',
      false,
      { scheduleTime: new Date(Date.now() + 3_600_000).toISOString() },
    ],
    [
      'a schedule within the clock-skew tolerance',
      'processing',
      true,
      { scheduleTime: new Date(Date.now() - 10_000).toISOString() },
    ],
    ['no options', 'processing', true, undefined],
    [
      'autoStart false and a schedule that is already due',
      'pending',
      false,
      { autoStart: false, scheduleTime: new Date(Date.now() - 10_000).toISOString() },
    ],
  ])('with %s the batch is %s', async (_name, status, started, options) => {
    const created = await service.client
      .post('/api/batch', batchBody(options ? { options } : {}))
      .expect(201);
    expect(created.body.status).toBe(status);
    expect(created.body.priority).toBe('normal');
    expect(created.body.startedAt !== null).toBe(started);
  });

  it('keeps the schedule time it was given', async () => {
    const at = '2099-03-04T05:06:07.000+02:00';
    const created = await service.client
      .post('/api/batch', batchBody({ options: { scheduleTime: at } }))
      .expect(201);
    expect(created.body.scheduleTime).toBe('2099-03-04T03:06:07.000Z');
  });

  it('keeps the first of duplicate numbers (compared in E.164) and counts the rest', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: 'Hi {{name}}',
        recipients: [
          { phoneNumber: '+12025550100', variables: { name: 'first' } },
          { phoneNumber: '+1 202 555 0100', variables: { name: 'second' } },
          { phoneNumber: '+12025550101', variables: { name: 'other' } },
          { phoneNumber: '+1-202-555-0101', variables: { name: 'third' } },
        ],
      })
      .expect(201);
    expect(created.body.duplicatesDropped).toBe(2);
    expect(created.body.progress.total).toBe(2);
    const rows = await query<{ variables: { name: string } }>(
      testEnv().databaseUrl,
      'SELECT variables FROM messages WHERE batch_id = $1 ORDER BY seq',
      [created.body.id],
    );
    expect(rows.map((r) => r.variables.name)).toEqual(['first', 'other']);
  });

  it('uses DEFAULT_COUNTRY for numbers without "+"', async () => {
    const us = await startApp({ DEFAULT_COUNTRY: 'US' });
    try {
      const created = await api(us, testEnv().bootstrapApiKey)
        .post('/api/batch', { text: 'Hi', recipients: [{ phoneNumber: '(202) 555-0123' }] })
        .expect(201);
      const log = await api(us, testEnv().bootstrapApiKey)
        .get(`/api/batch/${created.body.id}/messages`)
        .expect(200);
      expect(log.body.items[0].phoneNumber).toBe('+12025550123');
    } finally {
      await us.stop();
    }
  });

  it('reports segments and encodings of the rendered messages', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: '{{greeting}} {{name}}',
        recipients: [
          { phoneNumber: phoneNumber(0), variables: { greeting: 'Hi', name: 'a'.repeat(200) } }, // GSM-7, 203 septets: 2
          { phoneNumber: phoneNumber(1), variables: { greeting: 'Привет', name: 'Ж' } }, // UCS-2: 1
          { phoneNumber: phoneNumber(2), variables: { greeting: 'Hi', name: '€'.repeat(80) } }, // 163 septets: 2
        ],
      })
      .expect(201);
    expect(created.body.segments).toBe(5);
    expect(created.body.encodings).toEqual(['GSM-7', 'UCS-2']);
    const log = await service.client.get(`/api/batch/${created.body.id}/messages`).expect(200);
    expect(log.body.items.map((m: { segments: number }) => m.segments)).toEqual([2, 1, 2]);
  });

  it('warns about unused variables and near misses, naming the recipients', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: 'Hi {{firstName}}',
        recipients: [
          {
            phoneNumber: phoneNumber(0),
            variables: { firstName: 'A', first_name: 'A', city: 'X' },
          },
          { phoneNumber: phoneNumber(1), variables: { firstName: 'B', FirstName: 'B' } },
          { phoneNumber: phoneNumber(2), variables: { firstName: 'C', city: 'Y' } },
        ],
      })
      .expect(201);
    expect(created.body.warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: 'NEAR_MISS_VARIABLE',
          variable: 'first_name',
          suggestion: 'firstName',
          recipients: [0],
        }),
        expect.objectContaining({
          code: 'NEAR_MISS_VARIABLE',
          variable: 'FirstName',
          suggestion: 'firstName',
          recipients: [1],
        }),
        expect.objectContaining({ code: 'UNUSED_VARIABLE', variable: 'city', recipients: [0, 2] }),
      ]),
    );
    expect(created.body.warnings).toHaveLength(3);
  });

  it('accepts a full-size request of MAX_RECIPIENTS_PER_REQUEST recipients (body over 100 kB)', async () => {
    const small = await startApp({ MAX_RECIPIENTS_PER_REQUEST: '5000' });
    try {
      const created = await api(small, testEnv().bootstrapApiKey)
        .post('/api/batch', {
          text: TEMPLATE,
          recipients: recipients(5000),
          options: { autoStart: false },
        })
        .expect(201);
      expect(created.body.progress.total).toBe(5000);
      const [{ n }] = await query<{ n: string }>(
        testEnv().databaseUrl,
        'SELECT count(*) AS n FROM messages WHERE batch_id = $1',
        [created.body.id],
      );
      expect(Number(n)).toBe(5000);
    } finally {
      await small.stop();
    }
  });
});

// The error log, retry-failed, the error-rate guard and message validity, against the simulator.
import { setTimeout as sleep } from 'node:timers/promises';
import { api, useApp, useIsolatedApp, type ApiClient } from './support/api';
import { createAccount } from './support/app-process';
import { FAST_DISPATCH, messageLog, waitForStatus, type LoggedMessage } from './support/dispatch';
import { recipients, scripted, TEMPLATE } from './factories/batch.factory';

const FAST = { ...FAST_DISPATCH, RATE_LIMIT_LOW: '1' };

interface Summary {
  category: string;
  count: number;
  messages: number;
  retryable: boolean;
  codes: { code: string; count: number }[];
  example: string;
  firstAt: string;
  lastAt: string;
}

interface ErrorItem {
  messageId: string;
  phoneNumber: string;
  attempt: number;
  category: string;
  code: string;
  message: string;
  retried: boolean;
  at: string;
}

interface ErrorLog {
  summary: Summary[];
  items: ErrorItem[];
  nextCursor: string | null;
}

async function errorLog(client: ApiClient, id: string, query = ''): Promise<ErrorLog> {
  const response = await client.get(`/api/batch/${id}/errors${query}`).expect(200);
  return response.body as ErrorLog;
}

/** Every item of the log, page by page. */
async function allErrors(client: ApiClient, id: string, filter = '', limit = 4) {
  const items: ErrorItem[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${filter}${cursor ? `&cursor=${cursor}` : ''}`;
    const page = await errorLog(client, id, query);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

const summaryOf = (log: ErrorLog, category: string) =>
  log.summary.find((s) => s.category === category);

describe('the error log and retry-failed', () => {
  // Of its own: it sends to the simulator's opted-out number, whose answer suppresses the number.
  const service = useIsolatedApp('errors_log', FAST);
  let batchId: string;
  let log: LoggedMessage[];

  beforeAll(async () => {
    const list = [...recipients(3), ...[0, 1, 2, 3, 4, 5, 6].map(scripted)];
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list })
      .expect(201);
    batchId = created.body.id as string;
    await waitForStatus(service.client, batchId, ['completed'], 30_000);
    log = await messageLog(service.client, batchId);
  });

  it('summarises each category: failed attempts, distinct messages, codes, retryable', async () => {
    const { summary } = await errorLog(service.client, batchId);
    expect(summary.map((s) => s.category).sort()).toEqual(
      ['content_rejected', 'invalid_number', 'opted_out', 'provider_error', 'timeout'].sort(),
    );
    // +12025550192 failed twice, +12025550195 five times; the most frequent category comes first.
    expect(summary[0]).toMatchObject({
      category: 'provider_error',
      count: 7,
      messages: 2,
      retryable: true,
      codes: [{ code: 'SIM_PROVIDER_ERROR', count: 7 }],
      example: expect.any(String),
    });
    expect(summaryOf({ summary } as ErrorLog, 'invalid_number')).toMatchObject({
      count: 1,
      messages: 1,
      retryable: false,
      codes: [{ code: 'SIM_INVALID_NUMBER', count: 1 }],
    });
    expect(summaryOf({ summary } as ErrorLog, 'timeout')).toMatchObject({
      count: 1,
      retryable: true,
      codes: [{ code: 'TIMEOUT', count: 1 }],
    });
    for (const s of summary)
      expect(Date.parse(s.firstAt)).toBeLessThanOrEqual(Date.parse(s.lastAt));
  });

  it('rate-limit answers are not failures: the 429 of +12025550193 is not in the log', async () => {
    const { summary } = await errorLog(service.client, batchId);
    expect(summary.find((s) => s.category === 'rate_limited')).toBeUndefined();
    const items = await allErrors(service.client, batchId);
    expect(items.find((i) => i.phoneNumber === '+12025550193')).toBeUndefined();
  });

  it('lists every failed attempt, newest first, across pages, with its message', async () => {
    const items = await allErrors(service.client, batchId);
    expect(items).toHaveLength(11);
    const times = items.map((i) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const ids = new Map(log.map((m) => [m.phoneNumber, m.id]));
    for (const item of items) expect(item.messageId).toBe(ids.get(item.phoneNumber));
    // Every attempt of +12025550195, the last one first; only the last was not retried.
    const always = items.filter((i) => i.phoneNumber === '+12025550195');
    expect(always.map((i) => i.attempt)).toEqual([5, 4, 3, 2, 1]);
    expect(always.map((i) => i.retried)).toEqual([false, true, true, true, true]);
    expect(always[0]).toMatchObject({ category: 'provider_error', code: 'SIM_PROVIDER_ERROR' });
  });

  it('filters by category and by code', async () => {
    const providerErrors = await allErrors(service.client, batchId, '&category=provider_error');
    expect(providerErrors).toHaveLength(7);
    expect(new Set(providerErrors.map((i) => i.category))).toEqual(new Set(['provider_error']));
    const invalid = await allErrors(service.client, batchId, '&code=SIM_INVALID_NUMBER');
    expect(invalid).toEqual([
      expect.objectContaining({ phoneNumber: '+12025550190', attempt: 1, retried: false }),
    ]);
    expect(
      await allErrors(service.client, batchId, '&category=timeout&code=SIM_OPTED_OUT'),
    ).toEqual([]);
  });

  it('answers 400 for a bad filter, limit or cursor and 404 for an unknown or foreign batch', async () => {
    const bad = await service.client.get(`/api/batch/${batchId}/errors?category=nope`).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'category' })]);
    // A NUL reached PostgreSQL as a 500 before (fuzz seed 20261130, run 7095).
    const nul = await service.client.get(`/api/batch/${batchId}/errors?code=A%00B`).expect(400);
    expect(nul.body.details).toEqual([expect.objectContaining({ path: 'code' })]);
    await service.client.get(`/api/batch/${batchId}/errors?code=%E2%80%8B`).expect(400);
    await service.client.get(`/api/batch/${batchId}/errors?limit=501`).expect(400);
    await service.client.get(`/api/batch/${batchId}/errors?cursor=abc`).expect(400);
    await service.client.get(`/api/batch/not-a-uuid/errors`).expect(400);
    await service.client.get(`/api/batch/00000000-0000-4000-8000-000000000000/errors`).expect(404);
    const { key } = await createAccount('Someone else', service.databaseUrl);
    await api(service.app, key).get(`/api/batch/${batchId}/errors`).expect(404);
    await api(service.app, key).post(`/api/batch/${batchId}/retry-failed`).expect(404);
  });

  it('retry-failed requeues the retryable failures, resets their attempts and reopens the batch', async () => {
    const response = await service.client.post(`/api/batch/${batchId}/retry-failed`).expect(200);
    expect(response.body).toMatchObject({ id: batchId, requeued: 1, status: 'processing' });
    expect(response.body.completedAt).toBeNull();
    expect(response.body.progress).toMatchObject({ failed: 3, pending: 1, completed: 6 });
    const done = await waitForStatus(service.client, batchId, ['completed'], 30_000);
    expect(done.progress).toEqual({ total: 10, pending: 0, completed: 6, failed: 4, cancelled: 0 });
    const again = (await messageLog(service.client, batchId)).find(
      (m) => m.phoneNumber === '+12025550195',
    );
    expect(again).toMatchObject({ status: 'failed', attempts: 5 });
    const { summary } = await errorLog(service.client, batchId);
    expect(summary[0]).toMatchObject({ category: 'provider_error', count: 12, messages: 2 });
  });

  it('retry-failed with named categories requeues those, even permanent ones', async () => {
    const response = await service.client
      .post(`/api/batch/${batchId}/retry-failed`, { categories: ['invalid_number', 'opted_out'] })
      .expect(200);
    expect(response.body.requeued).toBe(2);
    const done = await waitForStatus(service.client, batchId, ['completed'], 30_000);
    expect(done.progress).toMatchObject({ completed: 6, failed: 4, pending: 0 });
    const { summary } = await errorLog(service.client, batchId);
    expect(summaryOf({ summary } as ErrorLog, 'invalid_number')).toMatchObject({
      count: 2,
      messages: 1,
    });
  });

  it('retry-failed: 200 with requeued 0 when nothing fits, 400 for bad categories, 409 when cancelled', async () => {
    const nothing = await service.client
      .post(`/api/batch/${batchId}/retry-failed`, { categories: ['auth'] })
      .expect(200);
    expect(nothing.body).toMatchObject({ requeued: 0, status: 'completed' });

    for (const body of [{ categories: ['nope'] }, { categories: [] }, { categories: 'timeout' }]) {
      const bad = await service.client.post(`/api/batch/${batchId}/retry-failed`, body).expect(400);
      expect(bad.body.details[0].path).toBe('categories');
    }
    await service.client
      .post(`/api/batch/${batchId}/retry-failed`, { categories: ['timeout'], extra: 1 })
      .expect(400);

    const pending = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(2),
        options: { autoStart: false },
      })
      .expect(201);
    await service.client.post(`/api/batch/${pending.body.id}/cancel`).expect(200);
    const cancelled = await service.client
      .post(`/api/batch/${pending.body.id}/retry-failed`)
      .expect(409);
    expect(cancelled.body.error).toBe('INVALID_TRANSITION');
  });
});

describe('the error-rate guard', () => {
  // Every call fails (transiently); 20 attempts a second, so a flush of results holds a handful.
  const service = useApp({
    ...FAST,
    RATE_LIMIT_NORMAL: '20',
    SIMULATOR_FAILURE_RATE: '1',
    RETRY_MAX_ATTEMPTS: '2',
  });

  const failedAttempts = async (id: string) =>
    (await errorLog(service.client, id)).summary.reduce((sum, s) => sum + s.count, 0);

  /** Waits for the batch to pause, then for the results in flight to be written. */
  async function pausedAndSettled(id: string) {
    const paused = await waitForStatus(service.client, id, ['paused'], 20_000);
    await sleep(1_000);
    return { paused, attempts: await failedAttempts(id) };
  }

  it('pauses a batch whose recent attempts mostly fail; resume restarts the window', async () => {
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: recipients(300) })
      .expect(201);
    const first = await pausedAndSettled(created.body.id);
    expect(first.paused.pauseReason).toMatch(
      /error-rate guard: \d+ of the last \d+ attempts failed/,
    );
    expect(first.attempts).toBeGreaterThanOrEqual(20);
    expect(first.attempts).toBeLessThan(100);
    // Nothing more is tried while it is paused.
    await sleep(1_000);
    expect(await failedAttempts(created.body.id)).toBe(first.attempts);

    await service.client.post(`/api/batch/${created.body.id}/resume`).expect(200);
    const second = await pausedAndSettled(created.body.id);
    // A window carried over would pause at the first written result; a new one needs 20 again.
    expect(second.attempts - first.attempts).toBeGreaterThanOrEqual(20);
    expect(second.paused.progress.pending).toBeGreaterThan(0);
  });
});

describe('rate-limit answers and the guard', () => {
  // The simulator accepts 5 a second; Salvo asks for 40: most calls are answered 429 at first.
  const service = useApp({ ...FAST, RATE_LIMIT_NORMAL: '40', SIMULATOR_MAX_MPS: '5' });

  it('many 429s neither pause the batch nor reach the error log', async () => {
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: recipients(30) })
      .expect(201);
    const done = await waitForStatus(
      service.client,
      created.body.id,
      ['completed', 'paused'],
      30_000,
    );
    expect(done.status).toBe('completed');
    expect(done.progress).toMatchObject({ completed: 30, failed: 0 });
    expect(await errorLog(service.client, created.body.id)).toEqual({
      summary: [],
      items: [],
      nextCursor: null,
    });
  });
});

describe('message validity', () => {
  // Low priority sends 1 a second here; the batch may send for 2 s.
  const service = useApp({ ...FAST, MESSAGE_VALIDITY_SECONDS: '2' });

  it('messages not sent within MESSAGE_VALIDITY_SECONDS fail as VALIDITY_EXPIRED', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(10),
        options: { priority: 'low' },
      })
      .expect(201);
    const done = await waitForStatus(service.client, created.body.id, ['completed'], 15_000);
    const elapsedMs = Date.parse(done.completedAt!) - Date.parse(done.startedAt!);
    expect(elapsedMs).toBeGreaterThanOrEqual(2_000);
    expect(done.progress.completed).toBeGreaterThanOrEqual(1);
    expect(done.progress.completed).toBeLessThanOrEqual(4);
    expect(done.progress.failed).toBe(10 - done.progress.completed);
    const log = await messageLog(service.client, created.body.id);
    // Nothing went out after the deadline (sentAt is the limiter's grant time; 100 ms of clocks).
    const deadline = Date.parse(done.startedAt!) + 2_000;
    for (const { sentAt } of log)
      if (sentAt) expect(Date.parse(sentAt)).toBeLessThan(deadline + 100);
    const expired = log.filter((m) => m.status === 'failed');
    for (const message of expired) {
      expect(message).toMatchObject({
        attempts: 0,
        lastError: expect.objectContaining({ category: 'timeout', code: 'VALIDITY_EXPIRED' }),
      });
    }
    const { summary } = await errorLog(service.client, created.body.id);
    expect(summary).toEqual([
      expect.objectContaining({
        category: 'timeout',
        count: expired.length,
        messages: expired.length,
        codes: [{ code: 'VALIDITY_EXPIRED', count: expired.length }],
      }),
    ]);
  });
});

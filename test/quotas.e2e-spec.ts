// Daily quotas (issue 12) on two API processes and a worker sharing one database: concurrent starts
// cannot together pass the quota, refusals say what is left and when it resets, an auto-starting
// creation over it stores nothing, a scheduled batch is paused by it, retry-failed counts what it
// requeues, the operator's per-account settings win, and usage shows in the API and the metrics.
import request from 'supertest';
import { api, type ApiClient } from './support/api';
import { createAccount, setAccount, startApp, type RunningApp } from './support/app-process';
import { dropDatabase, query } from './support/database';
import { batchStatus, FAST_DISPATCH, waitForStatus } from './support/dispatch';
import { deleteKeys } from './support/redis';
import { scratchDatabaseUrl, testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, scripted, TEMPLATE } from './factories/batch.factory';

const databaseUrl = scratchDatabaseUrl('quotas');
const redisPrefix = `${testEnv().redisPrefix}-quotas`;
const ENV = {
  ...FAST_DISPATCH,
  DATABASE_URL: databaseUrl,
  REDIS_PREFIX: redisPrefix,
  DAILY_MESSAGE_QUOTA: '10',
  DAILY_SEGMENT_QUOTA: '0',
  RETRY_MAX_ATTEMPTS: '2',
};

/** Seconds from now to the next UTC midnight, by this machine's clock. */
function secondsToMidnight(): number {
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return (midnight - now.getTime()) / 1000;
}

function nextMidnightIso(): string {
  const now = new Date();
  return new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
  ).toISOString();
}

const today = () => new Date().toISOString().slice(0, 10);

/** A 429 QUOTA_EXCEEDED with Retry-After to the next UTC midnight and the given details. */
function expectQuotaExceeded(
  response: request.Response,
  details: { path: string; message: string }[],
): void {
  expect(response.status).toBe(429);
  expect(response.body).toMatchObject({ statusCode: 429, error: 'QUOTA_EXCEEDED' });
  expect(response.body.message).toContain(`resets at ${nextMidnightIso()}`);
  expect(response.body.details).toEqual(details);
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(Math.abs(retryAfter - secondsToMidnight())).toBeLessThan(120);
}

describe('daily quotas across two API processes', () => {
  const apps: RunningApp[] = [];
  let first: RunningApp;
  let second: RunningApp;

  /** A new account (through the CLI, like an operator), with clients on both API processes. */
  async function account(name: string, ...settings: string[]) {
    const { key } = await createAccount(name, databaseUrl);
    if (settings.length) {
      const set = await setAccount([name, ...settings], databaseUrl, ENV);
      expect(set).toMatchObject({ code: 0 });
    }
    return { key, a: api(first, key), b: api(second, key) };
  }

  const create = (client: ApiClient, count: number, options: Record<string, unknown> = {}) =>
    client.post('/api/batch', { text: TEMPLATE, recipients: recipients(count), options });

  beforeAll(async () => {
    // The first creates and migrates the database; the others start on it together.
    first = await startApp({ ...ENV, APP_ROLE: 'api' });
    apps.push(first);
    const [api2, worker] = await Promise.all([
      startApp({ ...ENV, APP_ROLE: 'api' }),
      startApp({ ...ENV, APP_ROLE: 'worker' }),
    ]);
    second = api2;
    apps.push(api2, worker);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabase(databaseUrl);
    await deleteKeys(testEnv().redisUrl, redisPrefix);
  });

  it('lets exactly the concurrent starts that fit through, on both processes; the rest are 429', async () => {
    const { a, b } = await account('quota-concurrent');
    // 6 batches of 3 messages, 10 a day: 3 fit (9), whatever the order.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await create(a, 3, { autoStart: false }).expect(201)).body.id as string);
    }
    const answers = await Promise.all(
      ids.map((id, i) => (i % 2 ? b : a).post(`/api/batch/${id}/start`)),
    );
    const started = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status !== 200);
    expect(started).toHaveLength(3);
    expect(refused).toHaveLength(3);
    for (const response of refused) {
      // The refusal came once 9 were taken: 1 left.
      expectQuotaExceeded(response, [
        { path: 'messages', message: '1 of 10 left today; this batch needs 3' },
      ]);
    }
    // The refused ones are untouched, and a later start is refused alike.
    for (const [i, response] of answers.entries()) {
      const batch = await batchStatus(a, ids[i]);
      // A started batch of 3 messages may have finished by now.
      const expected = response.status === 200 ? ['processing', 'completed'] : ['pending'];
      expect(expected).toContain(batch.status);
    }
    const again = ids[answers.findIndex((r) => r.status === 429)];
    expectQuotaExceeded(await b.post(`/api/batch/${again}/start`), [
      { path: 'messages', message: '1 of 10 left today; this batch needs 3' },
    ]);

    for (const client of [a, b]) {
      const usage = await client.get('/api/usage').expect(200);
      expect(usage.body).toEqual({
        date: today(),
        messages: { used: 9, limit: 10 },
        segments: { used: 9, limit: null },
        resetsAt: nextMidnightIso(),
      });
    }
  });

  it('refuses an auto-starting creation over the quota and stores nothing; the override of account:set wins', async () => {
    const { a, b } = await account('quota-lower', '--daily-messages', '5');
    await create(a, 4).expect(201);
    const counts = async () =>
      (
        await query<{ batches: string; keys: string }>(
          databaseUrl,
          `SELECT (SELECT count(*) FROM batches b JOIN accounts a ON a.id = b.account_id
                   WHERE a.name = 'quota-lower') AS batches,
                  (SELECT count(*) FROM idempotency_keys WHERE key = 'quota-key') AS keys`,
        )
      )[0];
    const before = await counts();

    expectQuotaExceeded(await create(b, 3), [
      { path: 'messages', message: '1 of 5 left today; this batch needs 3' },
    ]);
    const keyed = await b
      .post('/api/batch', { text: TEMPLATE, recipients: recipients(3) })
      .set('Idempotency-Key', 'quota-key');
    expectQuotaExceeded(keyed, [
      { path: 'messages', message: '1 of 5 left today; this batch needs 3' },
    ]);
    expect(await counts()).toEqual(before);
    // The key was released: it takes a request that fits.
    await b
      .post('/api/batch', { text: TEMPLATE, recipients: recipients(1) })
      .set('Idempotency-Key', 'quota-key')
      .expect(201);
    // A batch created without autoStart takes nothing until it starts.
    await create(a, 3, { autoStart: false }).expect(201);
    expect((await a.get('/api/usage').expect(200)).body.messages).toEqual({ used: 5, limit: 5 });
    // Nothing left: refused before its recipients are read, and stored nothing either.
    const exhausted = await counts();
    expectQuotaExceeded(await create(b, 2), [
      { path: 'messages', message: '0 of 5 left today; this batch needs at least 1' },
    ]);
    expect(await counts()).toEqual(exhausted);

    // An account the operator made unlimited passes the deployment's 10.
    const unlimited = await account('quota-unlimited', '--daily-messages', '0');
    await create(unlimited.a, 12).expect(201);
    expect((await unlimited.b.get('/api/usage').expect(200)).body.messages).toEqual({
      used: 12,
      limit: null,
    });
  });

  it('counts segments against the segment quota', async () => {
    const { a } = await account('quota-segments', '--daily-segments', '5');
    // About 170 GSM-7 characters: 2 segments per message.
    const text = `Hi {{name}}, ${'x'.repeat(160)}`;
    const body = (count: number) => ({
      text,
      recipients: recipients(count, (i) => ({ name: `N${i}` })),
    });
    const created = await a.post('/api/batch', body(2)).expect(201);
    expect(created.body.segments).toBe(4);
    expectQuotaExceeded(await a.post('/api/batch', body(1)), [
      { path: 'segments', message: '1 of 5 left today; this batch needs 2' },
      { path: 'messages', message: '8 of 10 left today; this batch needs 1' },
    ]);
    expect((await a.get('/api/usage').expect(200)).body).toMatchObject({
      messages: { used: 2, limit: 10 },
      segments: { used: 4, limit: 5 },
    });
  });

  it('pauses a scheduled batch the quota cannot take, and starts it on resume once the operator raised the quota', async () => {
    const { a, b } = await account('quota-scheduled', '--daily-messages', '2');
    const scheduleTime = new Date(Date.now() + 3_000).toISOString();
    const created = await create(a, 3, { scheduleTime, autoStart: true }).expect(201);
    expect(created.body.status).toBe('pending');

    const paused = await waitForStatus(a, created.body.id, ['paused', 'processing'], 30_000);
    expect(paused.status).toBe('paused');
    expect(paused.pauseReason).toBe(
      'Paused by the daily message quota at its scheduled start (2 of 2 left today; this batch needs 3). ' +
        `The quota resets at ${nextMidnightIso()}; resume the batch then, or once the quota is raised.`,
    );
    expect(paused.startedAt).toBeNull();
    expect((await a.get('/api/usage').expect(200)).body.messages).toEqual({ used: 0, limit: 2 });

    expectQuotaExceeded(await b.post(`/api/batch/${created.body.id}/resume`), [
      { path: 'messages', message: '2 of 2 left today; this batch needs 3' },
    ]);
    expect((await batchStatus(a, created.body.id)).status).toBe('paused');

    const raised = await setAccount(['quota-scheduled', '--daily-messages', '5'], databaseUrl, ENV);
    expect(raised.code).toBe(0);
    expect(raised.output).toContain("daily messages: 5 a day (UTC) (this account's own)");
    const resumed = await b.post(`/api/batch/${created.body.id}/resume`).expect(200);
    expect(resumed.body).toMatchObject({ status: 'processing', pauseReason: null });
    expect(resumed.body.startedAt).not.toBeNull();
    const done = await waitForStatus(a, created.body.id, ['completed'], 30_000);
    expect(done.progress).toMatchObject({ total: 3, completed: 3 });
    expect((await a.get('/api/usage').expect(200)).body.messages).toEqual({ used: 3, limit: 5 });
  });

  it('retry-failed takes the quota for what it requeues, and refuses when that does not fit', async () => {
    const { a } = await account('quota-retry', '--daily-messages', '6');
    // Invalid number (permanent), transient on every call, and two that are accepted.
    const created = await a
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: [scripted(0), scripted(5), ...recipients(2)],
      })
      .expect(201);
    const id = created.body.id as string;
    const finished = await waitForStatus(a, id, ['completed'], 30_000);
    expect(finished.progress).toMatchObject({ completed: 2, failed: 2 });
    expect((await a.get('/api/usage').expect(200)).body.messages.used).toBe(4);

    // The retryable failure only (provider_error): 1 more.
    const retried = await a.post(`/api/batch/${id}/retry-failed`).expect(200);
    expect(retried.body.requeued).toBe(1);
    expect((await a.get('/api/usage').expect(200)).body.messages.used).toBe(5);
    await waitForStatus(a, id, ['completed'], 30_000);

    // Both failures would need 2; 1 is left: nothing is requeued.
    const refused = await a.post(`/api/batch/${id}/retry-failed`, {
      categories: ['invalid_number', 'provider_error'],
    });
    expectQuotaExceeded(refused, [
      { path: 'messages', message: '1 of 6 left today; the requeued messages need 2' },
    ]);
    const after = await batchStatus(a, id);
    expect(after).toMatchObject({ status: 'completed', progress: { failed: 2, pending: 0 } });
    expect((await a.get('/api/usage').expect(200)).body.messages.used).toBe(5);
  });

  it('shows usage per account and day, and quota refusals, in the metrics', async () => {
    const [{ id }] = await query<{ id: string }>(
      databaseUrl,
      `SELECT id FROM accounts WHERE name = 'quota-concurrent'`,
    );
    const series = `salvo_daily_messages{account_id="${id}",account="quota-concurrent",day="${today()}"}`;
    const scraped = await waitFor(
      'the daily usage in the metrics',
      async () => {
        const text = (await request(second.url).get('/metrics').expect(200)).text;
        return text.includes(`${series} 9`) && text;
      },
      { timeoutMs: 30_000, everyMs: 500 },
    );
    expect(scraped).toContain(
      `salvo_daily_segments{account_id="${id}",account="quota-concurrent",day="${today()}"} 9`,
    );
    // Refusals are counted where they happen: the two API processes' together.
    let refusals = 0;
    for (const app of [first, second]) {
      const text = (await request(app.url).get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith('salvo_refusals_total{reason="quota_messages"} '));
      refusals += Number(line?.split(' ')[1]);
      const segments = text
        .split('\n')
        .find((l) => l.startsWith('salvo_refusals_total{reason="quota_segments"} '));
      expect(segments).toBeDefined();
    }
    expect(refusals).toBeGreaterThanOrEqual(8);
  });

  it('account:set names what is wrong and exits non-zero', async () => {
    expect(await setAccount(['nobody-has-this-name'], databaseUrl, ENV)).toMatchObject({
      code: 1,
      output: expect.stringContaining('No account has the id or name "nobody-has-this-name"'),
    });
    const bad = await setAccount(['quota-retry', '--countries', 'US,XX'], databaseUrl, ENV);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('unknown: XX');
    expect(bad.output).toContain('Usage: npm run account:set');
    const countries = await setAccount(['quota-retry', '--countries', 'us,001'], databaseUrl, ENV);
    expect(countries.code).toBe(0);
    expect(countries.output).toContain("countries: US,001 (this account's own");
    const [row] = await query<{ allowed_countries: string[] }>(
      databaseUrl,
      `SELECT allowed_countries FROM accounts WHERE name = 'quota-retry'`,
    );
    expect(row.allowed_countries).toEqual(['US', '001']);
    const shown = await setAccount(['quota-retry'], databaseUrl, ENV);
    expect(shown.output).toContain("daily messages: 6 a day (UTC) (this account's own)");
    expect(shown.output).toContain(
      "daily segments: unlimited (the deployment's DAILY_SEGMENT_QUOTA)",
    );
  });
});

// API and workers in separate processes, as a deployment runs them, with the failures it must survive.
import { setTimeout as sleep } from 'node:timers/promises';
import { api, type ApiClient } from './support/api';
import { startApp, type RunningApp } from './support/app-process';
import {
  ledgerOf,
  maxInAnySecond,
  messageLog,
  waitForStatus,
  batchStatus,
} from './support/dispatch';
import { deleteKeys } from './support/redis';
import { testEnv } from './support/test-env';
import { recipients, TEMPLATE } from './factories/batch.factory';

const ENV = {
  RATE_LIMIT_HIGH: '50',
  RATE_LIMIT_NORMAL: '1000',
  CLAIM_LEASE_MS: '2000',
  RECONCILE_INTERVAL_MS: '500',
  DISPATCH_CHUNK_SIZE: '25',
};

describe('one API process and two worker processes', () => {
  let apiProcess: RunningApp;
  let workers: RunningApp[];
  let client: ApiClient;

  beforeAll(async () => {
    [apiProcess, ...workers] = await Promise.all([
      startApp({ ...ENV, APP_ROLE: 'api' }),
      startApp({ ...ENV, APP_ROLE: 'worker' }),
      startApp({ ...ENV, APP_ROLE: 'worker' }),
    ]);
    client = api(apiProcess, testEnv().bootstrapApiKey);
  });
  afterAll(() => Promise.all([apiProcess, ...workers].map((p) => p.stop())));

  it('the API process dispatches nothing and a worker serves only health', async () => {
    const request = (await import('supertest')).default;
    await request(workers[0].url).get('/health').expect(200);
    await request(workers[0].url)
      .get('/api/batch')
      .set('Authorization', `Bearer ${testEnv().bootstrapApiKey}`)
      .expect(404);
    await request(workers[0].url).get('/api/docs-json').expect(404);
  });

  it('two workers on one batch never send a message twice and never exceed its rate', async () => {
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(200),
        options: { priority: 'high' },
      })
      .expect(201);
    const done = await waitForStatus(client, created.body.id, ['completed']);
    expect(done.progress).toMatchObject({ completed: 200, pending: 0, failed: 0 });
    expect(await ledgerOf(created.body.id)).toEqual({
      accepted: 200,
      replays: 0,
      duplicatesRows: 0,
    });
    const log = await messageLog(client, created.body.id);
    expect(maxInAnySecond(log.map((m) => m.sentAt))).toBeLessThanOrEqual(50);
  });

  it("wiping the test's Redis keys mid-batch delays the batch but does not stop it", async () => {
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(250),
        options: { priority: 'high' },
      })
      .expect(201);
    await sleep(1_500);
    const before = await batchStatus(client, created.body.id);
    expect(before.status).toBe('processing');
    expect(await deleteKeys(testEnv().redisUrl, testEnv().redisPrefix)).toBeGreaterThan(0);
    const done = await waitForStatus(client, created.body.id, ['completed']);
    expect(done.progress).toMatchObject({ completed: 250, pending: 0 });
    const ledger = await ledgerOf(created.body.id);
    expect(ledger).toMatchObject({ accepted: 250, duplicatesRows: 0 });
  });

  it('a worker killed (SIGKILL) mid-chunk: the batch completes, each message accepted exactly once', async () => {
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(250),
        options: { priority: 'high' },
      })
      .expect(201);
    await sleep(1_500);
    workers[0].process.kill('SIGKILL');
    await workers[0].stop();
    const done = await waitForStatus(client, created.body.id, ['completed'], 90_000);
    expect(done.progress).toMatchObject({ completed: 250, pending: 0, failed: 0 });
    const ledger = await ledgerOf(created.body.id);
    // One acceptance per message; a message the dead worker had sent may be called again under its
    // idempotency key (a replay), which the provider does not send twice.
    expect(ledger).toMatchObject({ accepted: 250, duplicatesRows: 0 });
    workers[0] = await startApp({ ...ENV, APP_ROLE: 'worker' });
  });

  it('a worker stopped with SIGTERM drains and exits within 10 s; the batch completes', async () => {
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(200),
        options: { priority: 'high' },
      })
      .expect(201);
    await sleep(1_000);
    const stopping = Date.now();
    await workers[1].stop();
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(workers[1].process.exitCode === 0 || workers[1].process.signalCode === 'SIGTERM').toBe(
      true,
    );
    const done = await waitForStatus(client, created.body.id, ['completed'], 60_000);
    expect(done.progress).toMatchObject({ completed: 200, pending: 0, failed: 0 });
    expect(await ledgerOf(created.body.id)).toMatchObject({ accepted: 200, duplicatesRows: 0 });
    workers[1] = await startApp({ ...ENV, APP_ROLE: 'worker' });
  });
});

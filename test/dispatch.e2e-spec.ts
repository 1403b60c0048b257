import { setTimeout as sleep } from 'node:timers/promises';
import { useApp, useIsolatedApp } from './support/api';
import {
  addsUp,
  batchStatus,
  ledgerOf,
  messageLog,
  settledPart,
  waitForStatus,
} from './support/dispatch';
import { query } from './support/database';
import { phoneNumber, recipients, TEMPLATE } from './factories/batch.factory';

const FAST = {
  PROVIDER_MAX_MPS: '0', // these tests measure dispatch, not the ceiling
  RATE_LIMIT_HIGH: '1000',
  RATE_LIMIT_NORMAL: '1000',
  RATE_LIMIT_LOW: '40',
  CLAIM_LEASE_MS: '2000',
  PROVIDER_TIMEOUT_MS: '500',
  RECONCILE_INTERVAL_MS: '300',
  DISPATCH_CHUNK_SIZE: '50',
};

describe('dispatch in one process (APP_ROLE=all)', () => {
  // Of its own: it sends to the simulator's opted-out number, whose answer suppresses the number.
  const service = useIsolatedApp('dispatch_all', FAST);

  it('sends every message once and completes with exact counts that add up at every read', async () => {
    const list = recipients(400);
    // The scripted simulator numbers fail at once in this issue (retries come with the errors issue).
    list[10] = { phoneNumber: '+12025550190', variables: { name: 'x', code: '1' } };
    list[20] = { phoneNumber: '+12025550196', variables: { name: 'y', code: '2' } };
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list })
      .expect(201);
    expect(created.body.status).toBe('processing');

    const done = await waitForStatus(service.client, created.body.id, ['completed']);
    expect(done.progress).toEqual({
      total: 400,
      pending: 0,
      completed: 398,
      failed: 2,
      cancelled: 0,
    });
    expect(done.completedAt).not.toBeNull();

    const log = await messageLog(service.client, created.body.id);
    expect(log.filter((m) => m.status === 'sent')).toHaveLength(398);
    expect(log[10]).toMatchObject({
      status: 'failed',
      attempts: 1,
      sentAt: null,
      lastError: { category: 'invalid_number', code: 'SIM_INVALID_NUMBER' },
    });
    expect(log[20].lastError).toMatchObject({
      category: 'content_rejected',
      code: 'SIM_CONTENT_REJECTED',
    });
    expect(log.filter((m) => m.status === 'sent').every((m) => m.sentAt && m.attempts === 1)).toBe(
      true,
    );
    expect(await ledgerOf(created.body.id, service.databaseUrl)).toEqual({
      accepted: 398,
      replays: 0,
    });
  });

  it('renders each message with its own variables at send time', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: 'Hi {{name}}, code {{ code }}',
        recipients: [
          { phoneNumber: phoneNumber(0), variables: { name: 'Ada', code: '1' } },
          { phoneNumber: phoneNumber(1), variables: { name: 'Grace', code: '2' } },
        ],
      })
      .expect(201);
    await waitForStatus(service.client, created.body.id, ['completed']);
    const sent = await query<{ phone_number: string; body: string }>(
      service.databaseUrl,
      `SELECT l.phone_number, l.body FROM simulator_ledger l JOIN messages m ON m.id = l.idempotency_key
       WHERE m.batch_id = $1 ORDER BY m.seq`,
      [created.body.id],
    );
    expect(sent).toEqual([
      { phone_number: phoneNumber(0), body: 'Hi Ada, code 1' },
      { phone_number: phoneNumber(1), body: 'Hi Grace, code 2' },
    ]);
  });

  it('a batch whose every message fails is failed', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: 'Hi',
        recipients: [{ phoneNumber: '+12025550190' }, { phoneNumber: '+12025550191' }],
      })
      .expect(201);
    const done = await waitForStatus(service.client, created.body.id, ['failed']);
    expect(done.progress).toMatchObject({ completed: 0, failed: 2, pending: 0 });
    expect(done.failureReason).toBeTruthy();
    expect(done.completedAt).not.toBeNull();
  });

  it('autoStart false waits for /start, then sends', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(20),
        options: { autoStart: false },
      })
      .expect(201);
    await sleep(1_500); // several reconcile intervals
    const waiting = await batchStatus(service.client, created.body.id);
    expect(waiting).toMatchObject({ status: 'pending', startedAt: null });
    expect(await ledgerOf(created.body.id, service.databaseUrl)).toMatchObject({ accepted: 0 });

    const started = await service.client.post(`/api/batch/${created.body.id}/start`).expect(200);
    expect(started.body.status).toBe('processing');
    const done = await waitForStatus(service.client, created.body.id, ['completed']);
    expect(done.progress.completed).toBe(20);
  });

  it('a scheduled batch is not started early and starts within a few seconds of its time', async () => {
    const at = new Date(Date.now() + 3_000);
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(10),
        options: { scheduleTime: at.toISOString() },
      })
      .expect(201);
    expect(created.body.status).toBe('pending');
    await sleep(Math.max(0, at.getTime() - Date.now() - 500));
    expect(await batchStatus(service.client, created.body.id)).toMatchObject({ status: 'pending' });
    expect(await ledgerOf(created.body.id, service.databaseUrl)).toMatchObject({ accepted: 0 });

    const done = await waitForStatus(service.client, created.body.id, ['completed'], 15_000);
    const startedAt = Date.parse(done.startedAt!);
    expect(startedAt).toBeGreaterThanOrEqual(at.getTime());
    expect(startedAt - at.getTime()).toBeLessThan(3_000);
    const log = await messageLog(service.client, created.body.id);
    expect(Math.min(...log.map((m) => Date.parse(m.sentAt!)))).toBeGreaterThanOrEqual(at.getTime());
  });

  it('/start starts a batch still waiting for its schedule', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(5),
        options: { scheduleTime: new Date(Date.now() + 3_600_000).toISOString() },
      })
      .expect(201);
    await service.client.post(`/api/batch/${created.body.id}/start`).expect(200);
    await waitForStatus(service.client, created.body.id, ['completed']);
  });

  it('pause stops sending until resume; cancel ends it for good', async () => {
    // Low priority runs at 40/s here: 200 messages take about 5 s.
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(200),
        options: { priority: 'low' },
      })
      .expect(201);
    const id = created.body.id as string;
    await sleep(800);
    const paused = await service.client.post(`/api/batch/${id}/pause`).expect(200);
    expect(paused.body).toMatchObject({ status: 'paused', pauseReason: expect.any(String) });
    await sleep(500); // calls already in flight finish and are written
    const atPause = (await batchStatus(service.client, id)).progress;
    expect(addsUp(atPause)).toBe(true);
    expect(atPause.completed).toBeGreaterThan(0);
    expect(atPause.pending).toBeGreaterThan(0);
    await sleep(1_500);
    expect((await batchStatus(service.client, id)).progress).toEqual(atPause);
    expect((await ledgerOf(id, service.databaseUrl)).accepted).toBe(atPause.completed);

    await service.client.post(`/api/batch/${id}/resume`).expect(200);
    await sleep(800);
    const cancelled = await service.client.post(`/api/batch/${id}/cancel`).expect(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.completedAt).not.toBeNull();
    await sleep(800);
    const final = await batchStatus(service.client, id);
    expect(final.status).toBe('cancelled');
    expect(final.progress.pending).toBe(0);
    expect(final.progress.cancelled).toBeGreaterThan(0);
    expect(final.progress.completed).toBeGreaterThan(atPause.completed);
    expect(final.progress.completed + final.progress.cancelled).toBe(200);
    await sleep(1_000);
    // Receipts may still move the delivery counts of a final batch; nothing else moves.
    expect(settledPart(await batchStatus(service.client, id))).toEqual(settledPart(final));
    expect((await ledgerOf(id, service.databaseUrl)).accepted).toBe(final.progress.completed);
    const log = await messageLog(service.client, id);
    expect(log.filter((m) => m.status === 'cancelled')).toHaveLength(final.progress.cancelled);
  });

  it.each([
    ['pause', 'pending'],
    ['resume', 'pending'],
    ['start', 'completed'],
    ['pause', 'completed'],
    ['cancel', 'completed'],
  ])('409 INVALID_TRANSITION for %s on a %s batch', async (action, status) => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(2),
        options: { autoStart: status !== 'pending' },
      })
      .expect(201);
    if (status === 'completed') await waitForStatus(service.client, created.body.id, ['completed']);
    const response = await service.client
      .post(`/api/batch/${created.body.id}/${action}`)
      .expect(409);
    expect(response.body).toMatchObject({ statusCode: 409, error: 'INVALID_TRANSITION' });
    expect((await batchStatus(service.client, created.body.id)).status).toBe(status);
  });

  it('404 for an unknown batch and 400 for a malformed id on lifecycle routes', async () => {
    await service.client.post('/api/batch/00000000-0000-4000-8000-000000000000/pause').expect(404);
    await service.client.post('/api/batch/nope/cancel').expect(400);
  });
});

describe('batches of one tier take turns (one worker slot per queue)', () => {
  const service = useApp({
    ...FAST,
    RATE_LIMIT_LOW: '20',
    DISPATCH_CONCURRENCY: '1',
    DISPATCH_CHUNK_SIZE: '50',
  });

  it('a small batch is not held up behind a large one of the same priority', async () => {
    // 2,000 low messages at 20/s would hold the only slot for 100 s without time slices.
    const large = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(2_000),
        options: { priority: 'low' },
      })
      .expect(201);
    await sleep(500);
    const small = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(5),
        options: { priority: 'low' },
      })
      .expect(201);
    // Within one 10 s slice of the large batch, plus the small one's own quarter second.
    const done = await waitForStatus(service.client, small.body.id, ['completed'], 20_000);
    expect(done.progress.completed).toBe(5);
    expect((await batchStatus(service.client, large.body.id)).status).toBe('processing');
    await service.client.post(`/api/batch/${large.body.id}/cancel`).expect(200);
  });
});

describe('the simulator under SIMULATOR_MAX_MPS', () => {
  const service = useApp({ ...FAST, SIMULATOR_MAX_MPS: '10', RETRY_BASE_DELAY_MS: '50' });

  it('answers 429 past its limit; Salvo retries without counting an attempt', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(30),
        options: { priority: 'high' },
      })
      .expect(201);
    const done = await waitForStatus(service.client, created.body.id, ['completed']);
    expect(done.progress).toMatchObject({ completed: 30, failed: 0 });
    const log = await messageLog(service.client, created.body.id);
    expect(log.every((m) => m.status === 'sent' && m.attempts === 1)).toBe(true);
    const sentAt = log.map((m) => Date.parse(m.sentAt!));
    // 30 messages through a limit of 10 per second take two seconds at least.
    expect(Math.max(...sentAt) - Math.min(...sentAt)).toBeGreaterThan(1_000);
  });
});

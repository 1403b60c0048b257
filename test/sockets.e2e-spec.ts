// The Socket.IO protocol of /batches (README): handshake, acks, and the events of running batches.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { io } from 'socket.io-client';
import { api, scratchEnv, type ApiClient } from './support/api';
import { createAccount, startApp, type RunningApp } from './support/app-process';
import {
  batchStatus,
  FAST_DISPATCH,
  settledPart,
  waitForStatus,
  type Progress,
} from './support/dispatch';
import { connect, mostInAnySecond, refused, waitToHear, type BatchSocket } from './support/sockets';
import { startOwnRedis, type OwnRedis } from './support/redis-server';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, scripted, TEMPLATE } from './factories/batch.factory';

const ENV = { ...FAST_DISPATCH, RATE_LIMIT_HIGH: '20', RATE_LIMIT_LOW: '2' };
const UNKNOWN = '01936f2e-0000-7000-8000-000000000000';

/** Counters a follower saw, in order: none may go back. */
function expectNeverBackwards(seen: Progress[]): void {
  for (let i = 1; i < seen.length; i++) {
    const [before, after] = [seen[i - 1], seen[i]];
    expect(after.completed).toBeGreaterThanOrEqual(before.completed);
    expect(after.failed).toBeGreaterThanOrEqual(before.failed);
    expect(after.cancelled).toBeGreaterThanOrEqual(before.cancelled);
    expect(after.pending).toBeLessThanOrEqual(before.pending);
  }
}

/** What a follower of a batch must see: paced progress, never backwards, the exact final state. */
async function expectFollowedToTheEnd(
  follower: BatchSocket,
  client: ApiClient,
  id: string,
): Promise<void> {
  await waitForStatus(client, id, ['completed', 'failed', 'cancelled']);
  // Calls in flight when a batch is cancelled are still counted: wait until nothing moves.
  const lastHeard = () => follower.of(id, 'batch:progress').at(-1)?.body;
  await waitFor('the follower to hear the state the API shows', async () => {
    const shown = await batchStatus(client, id);
    const heard = lastHeard();
    return heard?.status === shown.status &&
      JSON.stringify(heard.progress) === JSON.stringify(shown.progress)
      ? true
      : undefined;
  });
  await sleep(500); // nothing but delivery counts may follow the final state
  const settled = await batchStatus(client, id);
  const progress = follower.of(id, 'batch:progress');
  // Receipts keep moving a final batch's delivery counts (README, "Delivery receipts"), and its
  // followers hear them; the rest of its state is settled.
  const last = settledPart(progress.at(-1)!.body);
  expect(last).toEqual({ ...settledPart(settled), metrics: last.metrics });
  // The final state arrived within a second of the change (same machine, same clock).
  const finals = progress.filter((h) => h.body.status === settled.status);
  // A completed batch's progress never changes again: it goes out once, then only with new
  // delivery counts. (Calls in flight when a batch is cancelled are counted after it, so a
  // cancelled one may send more.)
  if (settled.status === 'completed') {
    expect(new Set(finals.map((h) => JSON.stringify(h.body.progress))).size).toBe(1);
    const deliveries = finals.map((h) => JSON.stringify(h.body.delivery));
    expect(new Set(deliveries).size).toBe(deliveries.length);
  }
  const firstFinal = finals[0];
  expect(firstFinal.at - Date.parse(settled.completedAt!)).toBeLessThan(1_000);
  const times = progress.map((h) => h.at);
  const finalAt = progress.indexOf(firstFinal);
  expect(mostInAnySecond(times.slice(0, finalAt))).toBeLessThanOrEqual(4);
  expect(mostInAnySecond(times)).toBeLessThanOrEqual(5);
  expectNeverBackwards(progress.map((h) => h.body.progress));
}

describe('Socket.IO /batches on one process', () => {
  let app: RunningApp;
  let client: ApiClient;
  let otherKey: string;
  const sockets: BatchSocket[] = [];
  const follow = async (key = testEnv().bootstrapApiKey) => {
    const socket = await connect(app, key);
    sockets.push(socket);
    return socket;
  };
  const create = async (body: Record<string, unknown>, as = client) =>
    (await as.post('/api/batch', body).expect(201)).body as { id: string };

  // Of its own: a batch here sends to the simulator's opted-out number, whose answer suppresses
  // the number for every account of the database.
  const scratch = scratchEnv('sockets_one');

  beforeAll(async () => {
    app = await startApp({ ...ENV, ...scratch.env });
    client = api(app, testEnv().bootstrapApiKey);
    ({ key: otherKey } = await createAccount('sockets-other', scratch.env.DATABASE_URL));
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await app.stop();
    await scratch.drop();
  });

  describe('handshake', () => {
    it.each([
      ['without a key', undefined],
      ['with an empty key', ''],
      ['with a wrong key', 'salvo_not_a_real_key'],
    ])('refuses a client %s with connect_error UNAUTHORIZED', async (_name, token) => {
      const refused = (await connect(app, token).then(
        () => undefined,
        (error: unknown) => error,
      )) as { message: string; data?: { code: string; message: string } } | undefined;
      expect(refused?.message).toBe('UNAUTHORIZED');
      expect(refused?.data).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
    });

    it('accepts a client with a valid key', async () => {
      const socket = await follow();
      expect(socket.socket.connected).toBe(true);
    });

    it.each([
      [
        'a handshake',
        (big: string) => {
          const socket = io(`${app.url}/batches`, {
            auth: { token: big },
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
          });
          return new Promise((resolve) => {
            socket.once('connect', () => resolve('connected'));
            socket.once('connect_error', (error) => resolve(error.message));
            socket.io.once('close', (reason) => resolve(reason));
          }).finally(() => socket.close());
        },
      ],
      [
        'a subscribe',
        async (big: string) => {
          const socket = await follow();
          const closed = new Promise((resolve) => socket.socket.once('disconnect', resolve));
          socket.socket.emit('subscribe', { batchId: big });
          return closed;
        },
      ],
    ])('closes the connection on %s over 16 kB, before any of it is used', async (_, send) => {
      const big = 'x'.repeat(17 * 1024);
      const outcome = await send(big).then(
        (value) => value,
        (error: Error) => error.message,
      );
      // A refused handshake is a transport error, not UNAUTHORIZED: the key was never read.
      expect(outcome).toMatch(/transport close|websocket error/);
    });

    it('refuses Socket.IO’s main namespace `/`, even with a valid key', async () => {
      const refusal = await refused(app, testEnv().bootstrapApiKey, '/');
      expect(refusal).toEqual(
        expect.objectContaining({
          message: 'NOT_FOUND',
          data: { code: 'NOT_FOUND', message: 'Connect to the /batches namespace.' },
        }),
      );
    });
  });

  describe('subscribe and unsubscribe', () => {
    it('acks a batch subscription with its status, the same JSON as GET /api/batch/:id', async () => {
      // Not started, so nothing moves between the ack and the read it is compared with.
      const { id } = await create({
        text: TEMPLATE,
        recipients: recipients(3),
        options: { autoStart: false },
      });
      const socket = await follow();
      const ack = await socket.ask('subscribe', { batchId: id });
      expect(ack).toEqual(await batchStatus(client, id));
      expect(await socket.ask('unsubscribe', { batchId: id })).toEqual({ ok: true });
    });

    it('answers an unknown and another account’s batch alike, with BATCH_NOT_FOUND', async () => {
      const { id: foreign } = await create(
        { text: TEMPLATE, recipients: recipients(2), options: { autoStart: false } },
        api(app, otherKey),
      );
      const socket = await follow();
      for (const batchId of [UNKNOWN, foreign]) {
        expect(await socket.ask('subscribe', { batchId })).toEqual({
          error: { code: 'BATCH_NOT_FOUND', message: `Batch ${batchId} was not found.` },
        });
      }
      // And the foreign batch's events never reach this account.
      await api(app, otherKey).post(`/api/batch/${foreign}/start`).expect(200);
      await expect(socket.ask('subscribe', { all: true })).resolves.toEqual({ ok: true });
      await waitForStatus(api(app, otherKey), foreign, ['completed']);
      expect(socket.heard.filter((h) => h.body.id === foreign)).toEqual([]);
    });

    it('keeps another account out of a running batch’s events, and its owner’s followers in', async () => {
      const { id } = await create({
        text: TEMPLATE,
        recipients: recipients(60),
        options: { priority: 'high', autoStart: false },
      });
      // The intruder asks first, so that it is the first to follow this batch id on the process.
      const intruder = await connect(app, otherKey);
      sockets.push(intruder);
      expect(await intruder.ask('subscribe', { all: true })).toEqual({ ok: true });
      expect(await intruder.ask('subscribe', { batchId: id })).toEqual({
        error: { code: 'BATCH_NOT_FOUND', message: `Batch ${id} was not found.` },
      });
      const owner = await follow();
      await owner.ask('subscribe', { batchId: id });
      await client.post(`/api/batch/${id}/start`).expect(200);
      // About 3 s of sending at 20 per second: the intruder hears nothing, the owner all of it.
      await waitForStatus(client, id, ['completed']);
      await sleep(1_000); // the final state is sent within a second
      expect(intruder.heard.filter((h) => h.body.id === id)).toEqual([]);
      const progress = owner.of(id, 'batch:progress');
      expect(progress.length).toBeGreaterThanOrEqual(3);
      expect(progress.at(-1)?.body.status).toBe('completed');
    });

    it.each([
      ['no payload', undefined, 'VALIDATION_FAILED'],
      ['a string', 'batch', 'VALIDATION_FAILED'],
      ['an array', [UNKNOWN], 'VALIDATION_FAILED'],
      ['an empty object', {}, 'VALIDATION_FAILED'],
      ['all: false', { all: false }, 'VALIDATION_FAILED'],
      ['both batchId and all', { batchId: UNKNOWN, all: true }, 'VALIDATION_FAILED'],
      ['a malformed batchId', { batchId: 'nope' }, 'INVALID_ID'],
      ['a numeric batchId', { batchId: 7 }, 'INVALID_ID'],
    ])('answers %s with an error ack and keeps the connection', async (_name, payload, code) => {
      const socket = await follow();
      for (const event of ['subscribe', 'unsubscribe']) {
        const ack = await socket.ask(event, payload);
        expect(ack).toEqual({ error: { code, message: expect.any(String) } });
      }
      expect(await socket.ask('subscribe', { all: true })).toEqual({ ok: true });
      expect(socket.socket.connected).toBe(true);
    });
  });

  describe('events', () => {
    it('streams a running batch: paced progress, statuses, the exact final state', async () => {
      const socket = await follow();
      const { id } = await create({
        text: TEMPLATE,
        recipients: recipients(60),
        options: { priority: 'high', autoStart: false },
      });
      await socket.ask('subscribe', { batchId: id });
      await client.post(`/api/batch/${id}/start`).expect(200);
      await expectFollowedToTheEnd(socket, client, id);
      const statuses = socket.of(id, 'batch:status').map((h) => h.body.status);
      expect(statuses).toEqual(['processing', 'completed']);
      // Several progress events while it ran, not only the final one.
      expect(socket.of(id, 'batch:progress').length).toBeGreaterThanOrEqual(5);
    });

    it('follows every batch of the account with { all: true }, batches created later too', async () => {
      const socket = await follow();
      await socket.ask('subscribe', { all: true });
      const { id } = await create({
        text: TEMPLATE,
        recipients: [...recipients(10), scripted(0), scripted(1)],
        options: { priority: 'high' },
      });
      await expectFollowedToTheEnd(socket, client, id);
      expect(socket.of(id, 'batch:status').map((h) => h.body.status)).toEqual([
        'processing',
        'completed',
      ]);
      // A failure category's first appearance, with its summary as GET /errors shows it.
      const errors = socket.of(id, 'batch:error');
      expect(errors.map((h) => h.body.category).sort()).toEqual(['invalid_number', 'opted_out']);
      for (const { body } of errors) {
        expect(body).toEqual({
          id,
          category: body.category,
          summary: expect.objectContaining({ category: body.category, count: 1, messages: 1 }),
        });
      }
      // Unsubscribed, it hears nothing more of the account.
      expect(await socket.ask('unsubscribe', { all: true })).toEqual({ ok: true });
      const before = socket.heard.length;
      const { id: later } = await create({ text: TEMPLATE, recipients: recipients(3) });
      await waitForStatus(client, later, ['completed']);
      expect(socket.heard.length).toBe(before);
    });

    it('sends batch:status for each transition a user makes, and the cancelled final state', async () => {
      const socket = await follow();
      await socket.ask('subscribe', { all: true });
      const { id } = await create({
        text: TEMPLATE,
        recipients: recipients(40),
        options: { priority: 'low' },
      });
      await waitToHear(socket, id, 'batch:progress', (b) => b.progress.completed >= 1);
      await client.post(`/api/batch/${id}/pause`).expect(200);
      await client.post(`/api/batch/${id}/resume`).expect(200);
      await client.post(`/api/batch/${id}/cancel`).expect(200);
      await waitToHear(socket, id, 'batch:status', (b) => b.status === 'cancelled');
      expect(socket.of(id, 'batch:status').map((h) => h.body.status)).toEqual([
        'processing',
        'paused',
        'processing',
        'cancelled',
      ]);
      const paused = socket.of(id, 'batch:status')[1].body;
      expect(paused.pauseReason).toBe('Paused by a user.');
      await expectFollowedToTheEnd(socket, client, id);
    });
  });
});

const LIMITS = {
  SOCKET_SUBSCRIBES_PER_SECOND: '10',
  MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
  MAX_SOCKETS_PER_ACCOUNT: '2',
};

describe('Socket.IO metrics, CORS and limits', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ ...ENV, ...LIMITS, CORS_ORIGINS: 'https://dash.example.com' });
  });
  afterAll(() => app.stop());

  const metric = async (line: RegExp): Promise<number> => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const match = line.exec(text);
    return match ? Number(match[1]) : NaN;
  };

  it('counts connected sockets and the events sent to them in /metrics', async () => {
    const client = api(app, testEnv().bootstrapApiKey);
    const followers = await Promise.all([1, 2].map(() => connect(app, testEnv().bootstrapApiKey)));
    expect(await metric(/^salvo_sockets_connected (\d+)$/m)).toBe(2);
    await followers[0].ask('subscribe', { all: true });
    const { id } = (
      await client.post('/api/batch', { text: TEMPLATE, recipients: recipients(5) }).expect(201)
    ).body as { id: string };
    await waitToHear(followers[0], id, 'batch:progress', (b) => b.status === 'completed');
    expect(
      await metric(/^salvo_events_emitted_total\{event="batch:progress"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(1);
    expect(
      await metric(/^salvo_events_emitted_total\{event="batch:status"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(2);
    followers.forEach((f) => f.close());
    await waitFor('the sockets to be gone', async () =>
      (await metric(/^salvo_sockets_connected (\d+)$/m)) === 0 ? true : undefined,
    );
  });

  it('gives pages of CORS_ORIGINS the CORS headers of the polling handshake, no other origin', async () => {
    const handshake = (origin: string) =>
      fetch(`${app.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });
    const allowed = await handshake('https://dash.example.com');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    const other = await handshake('https://evil.example.com');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
  describe('limits', () => {
    const key = () => testEnv().bootstrapApiKey;
    const notFound = (batchId: string) => ({
      error: { code: 'BATCH_NOT_FOUND', message: `Batch ${batchId} was not found.` },
    });

    it('answers subscribes past SOCKET_SUBSCRIBES_PER_SECOND with RATE_LIMITED, not a read', async () => {
      const socket = await connect(app, key());
      try {
        const ids = Array.from({ length: 14 }, () => randomUUID());
        const acks = await Promise.all(ids.map((batchId) => socket.ask('subscribe', { batchId })));
        const codes = acks.map((ack) => (ack as { error: { code: string } }).error.code);
        expect(codes.filter((code) => code === 'BATCH_NOT_FOUND')).toHaveLength(10);
        expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(4);
        // The connection stays, and a second later it may ask again.
        await sleep(1_000);
        const id = randomUUID();
        expect(await socket.ask('subscribe', { batchId: id })).toEqual(notFound(id));
      } finally {
        socket.close();
      }
    });

    it('answers a subscription past MAX_SUBSCRIPTIONS_PER_SOCKET with LIMIT_REACHED', async () => {
      const client = api(app, key());
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { body } = await client
          .post('/api/batch', {
            text: TEMPLATE,
            recipients: recipients(1),
            options: { autoStart: false },
          })
          .expect(201);
        ids.push((body as { id: string }).id);
      }
      const socket = await connect(app, key());
      try {
        expect(await socket.ask('subscribe', { all: true })).toEqual({ ok: true });
        for (const batchId of ids.slice(0, 2)) {
          expect(await socket.ask('subscribe', { batchId })).toMatchObject({ id: batchId });
        }
        expect(await socket.ask('subscribe', { batchId: ids[2] })).toEqual({
          error: { code: 'LIMIT_REACHED', message: expect.stringContaining('at most 3') },
        });
        // Asking again for one it follows adds nothing; leaving one makes room.
        expect(await socket.ask('subscribe', { batchId: ids[0] })).toMatchObject({ id: ids[0] });
        expect(await socket.ask('unsubscribe', { batchId: ids[1] })).toEqual({ ok: true });
        expect(await socket.ask('subscribe', { batchId: ids[2] })).toMatchObject({ id: ids[2] });
      } finally {
        socket.close();
      }
    });

    it('refuses a socket past MAX_SOCKETS_PER_ACCOUNT with connect_error LIMIT_REACHED', async () => {
      const first = await connect(app, key());
      const second = await connect(app, key());
      try {
        const refusal = await refused(app, key());
        expect(refusal?.message).toBe('LIMIT_REACHED');
        expect(refusal?.data).toEqual({
          code: 'LIMIT_REACHED',
          message: expect.stringContaining('2 sockets'),
        });
        // A socket that leaves frees its place at once.
        first.close();
        const third = await waitFor('a place to be free', () =>
          connect(app, key()).catch(() => undefined),
        );
        third.close();
      } finally {
        first.close();
        second.close();
      }
    });
  });
});

describe('Socket.IO across processes: two API processes, two workers', () => {
  let apis: RunningApp[];
  let workers: RunningApp[];
  let client: ApiClient;
  const sockets: BatchSocket[] = [];

  beforeAll(async () => {
    const all = await Promise.all([
      startApp({ ...ENV, APP_ROLE: 'api', MAX_SOCKETS_PER_ACCOUNT: '2' }),
      startApp({ ...ENV, APP_ROLE: 'api', MAX_SOCKETS_PER_ACCOUNT: '2' }),
      startApp({ ...ENV, APP_ROLE: 'worker' }),
      startApp({ ...ENV, APP_ROLE: 'worker' }),
    ]);
    apis = all.slice(0, 2);
    workers = all.slice(2);
    client = api(apis[0], testEnv().bootstrapApiKey);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await Promise.all([...apis, ...workers].map((p) => p.stop()));
  });

  it('delivers every event to clients of either API process, whichever worker sends', async () => {
    const [first, second] = await Promise.all(
      apis.map((app) => connect(app, testEnv().bootstrapApiKey)),
    );
    sockets.push(first, second);
    await first.ask('subscribe', { all: true });
    const { id } = (
      await client
        .post('/api/batch', {
          text: TEMPLATE,
          recipients: [...recipients(80), scripted(0)],
          options: { priority: 'high', autoStart: false },
        })
        .expect(201)
    ).body as { id: string };
    await second.ask('subscribe', { batchId: id });
    // Started through the other API process: its status event reaches both.
    await api(apis[1], testEnv().bootstrapApiKey).post(`/api/batch/${id}/start`).expect(200);
    for (const follower of [first, second]) {
      await expectFollowedToTheEnd(follower, client, id);
      expect(follower.of(id, 'batch:error').map((h) => h.body.category)).toEqual([
        'invalid_number',
      ]);
    }
    // Each client hears each event once, though both API processes relay it: the follower of
    // the account heard the batch created, the follower of the batch what came after it joined.
    const statuses = (follower: BatchSocket) =>
      follower.of(id, 'batch:status').map((h) => h.body.status);
    expect(statuses(first)).toEqual(['pending', 'processing', 'completed']);
    // (The creation's notice may still be on its way when the second follower joins.)
    expect([
      ['processing', 'completed'],
      ['pending', 'processing', 'completed'],
    ]).toContainEqual(statuses(second));
  });

  it('counts an account’s sockets across API processes for MAX_SOCKETS_PER_ACCOUNT', async () => {
    const { key } = await createAccount('sockets-across');
    const first = await connect(apis[0], key);
    const second = await connect(apis[1], key);
    sockets.push(first, second);
    for (const app of apis) expect((await refused(app, key))?.message).toBe('LIMIT_REACHED');
    second.close();
    const third = await waitFor('the place to be free on the other process', () =>
      connect(apis[0], key).catch(() => undefined),
    );
    sockets.push(third);
  });
});

describe('Socket.IO /batches when Redis goes away', () => {
  let redis: OwnRedis;
  let app: RunningApp;
  let client: ApiClient;
  const sockets: BatchSocket[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    app = await startApp({ ...ENV, REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '1000' });
    client = api(app, testEnv().bootstrapApiKey);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await app?.stop();
    await redis?.close();
  });

  it('a change whose notice was lost while Redis was away reaches followers soon after it is back', async () => {
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(3),
        options: { autoStart: false },
      })
      .expect(201);
    const id = (created.body as { id: string }).id;
    const [ofBatch, ofAccount] = await Promise.all([
      connect(app, testEnv().bootstrapApiKey),
      connect(app, testEnv().bootstrapApiKey),
    ]);
    sockets.push(ofBatch, ofAccount);
    await ofBatch.ask('subscribe', { batchId: id });
    await ofAccount.ask('subscribe', { all: true });

    await redis.kill();
    await sleep(500);
    // The cancel is committed; its notice goes nowhere.
    await client.post(`/api/batch/${id}/cancel`).expect(200);
    await sleep(1_500);
    expect(ofBatch.of(id, 'batch:status')).toEqual([]);
    expect(ofBatch.of(id, 'batch:progress')).toEqual([]);

    await redis.start();
    const back = Date.now();
    const cancelled = (b: { status: string }) => b.status === 'cancelled';
    const heard = await Promise.all([
      waitToHear(ofBatch, id, 'batch:progress', cancelled, 15_000),
      waitToHear(ofAccount, id, 'batch:progress', cancelled, 15_000),
    ]);
    // Within a reconcile interval of Redis being back, give or take its reconnection.
    for (const { at } of heard) expect(at - back).toBeLessThan(1_000 + 3_000);
  });
});

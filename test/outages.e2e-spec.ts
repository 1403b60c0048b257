// PostgreSQL and Redis going away under a running service, as a deployment sees it: PostgreSQL
// through a loopback proxy that resets (a stopped server) or black-holes (a cut network), and a
// Redis server of the test's own, killed and started again empty or black-holed the same way. While one is away the process
// stays up, readiness says 503, and requests answer within seconds: 503 SERVICE_UNAVAILABLE with
// Retry-After when they need PostgreSQL (over Socket.IO the same code), never a 500 or a hang. Once it is back, everything goes
// on by itself: the API answers 2xx and the batch running meanwhile is sent, each message once.
import { api, scratchEnv, type ApiClient } from './support/api';
import { runUntilExit, startApp, type RunningApp } from './support/app-process';
import { FAST_DISPATCH, ledgerOf, waitForStatus } from './support/dispatch';
import { startOwnRedis, type OwnRedis } from './support/redis-server';
import { connect, refused } from './support/sockets';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, TEMPLATE } from './factories/batch.factory';

/** A batch of this many at this rate spans an outage of a few seconds. */
const RECIPIENTS = 60;
const RATE = '20';

/** Longer than every bound below together: a request past it hung. */
const HANG_MS = 15_000;
/** The bounds the service is started with, and what an answer may take with them. */
const ENV = {
  ...FAST_DISPATCH,
  RATE_LIMIT_HIGH: RATE,
  DATABASE_CONNECT_TIMEOUT_MS: '1000',
  DATABASE_QUERY_TIMEOUT_MS: '2000',
  REDIS_COMMAND_TIMEOUT_MS: '1000',
};
const ANSWER_WITHIN_MS = 5_000;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { error?: string } & Record<string, unknown>;
  ms: number;
}

/** One request, timed; one that hangs fails here rather than as a jest timeout. */
async function timed(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: text.startsWith('{') ? (JSON.parse(text) as Answer['body']) : {},
    ms: Date.now() - started,
  };
}

describe('PostgreSQL and Redis going away and coming back', () => {
  const scratch = scratchEnv('outages');
  let ownRedis: OwnRedis;
  /** Between the service and its Redis, to black-hole it. */
  let redis: TcpProxy;
  let postgres: TcpProxy;
  let app: RunningApp;
  let client: ApiClient;
  /** The service's DATABASE_URL: its scratch database through the proxy. */
  let databaseUrl: string;
  const key = testEnv().bootstrapApiKey;

  beforeAll(async () => {
    ownRedis = await startOwnRedis();
    redis = await startTcpProxy(ownRedis.port);
    const direct = new URL(scratch.env.DATABASE_URL);
    postgres = await startTcpProxy(Number(direct.port || 5432), direct.hostname);
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(postgres.port);
    databaseUrl = proxied.toString();
    app = await startApp({
      ...ENV,
      ...scratch.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
    });
    client = api(app, key);
  });
  afterAll(async () => {
    await app?.stop();
    await postgres?.close();
    await redis?.close();
    await ownRedis?.close();
    await scratch.drop();
  });

  const get = (path: string) =>
    timed(`${app.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  const post = (path: string, body: unknown) =>
    timed(`${app.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const newBatch = () => ({
    text: TEMPLATE,
    recipients: recipients(RECIPIENTS),
    options: { priority: 'high' },
  });

  /** A batch sending while the outage comes: created and seen sending. */
  async function sendingBatch(): Promise<string> {
    const created = await client.post('/api/batch', newBatch()).expect(201);
    const id = created.body.id as string;
    await waitFor('the batch to send its first message', async () => {
      const { progress } = (await client.get(`/api/batch/${id}`).expect(200)).body as {
        progress: { completed: number };
      };
      return progress.completed > 0;
    });
    return id;
  }

  /** After the outage: ready again, 2xx again, and the batch sent whole, each message once. */
  async function recovered(batchId: string): Promise<void> {
    await waitFor(
      'readiness to say 200 again',
      async () => (await get('/health/ready')).status === 200,
    );
    expect((await get('/api/batch')).status).toBe(200);
    expect((await post('/api/batch', newBatch())).status).toBe(201);
    const batch = await waitForStatus(client, batchId, ['completed', 'failed'], 30_000);
    expect(batch.progress).toMatchObject({ total: RECIPIENTS, completed: RECIPIENTS });
    expect((await ledgerOf(batchId, scratch.env.DATABASE_URL)).accepted).toBe(RECIPIENTS);
    expect(app.process.exitCode).toBeNull();
  }

  function expectUnavailable(answer: Answer): void {
    expect(answer).toMatchObject({
      status: 503,
      retryAfter: '5',
      body: { statusCode: 503, error: 'SERVICE_UNAVAILABLE' },
    });
    expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
  }

  it.each<['reset' | 'blackhole', string]>([
    ['reset', 'stopped'],
    ['blackhole', 'cut off by the network'],
  ])('PostgreSQL %s (%s): 503 with Retry-After within seconds, then 2xx again', async (mode) => {
    const batchId = await sendingBatch();
    const socket = await connect(app, key);
    postgres.setMode(mode);
    try {
      const [ready, status, list, create, subscribed, handshake] = await Promise.all([
        get('/health/ready'),
        get(`/api/batch/${batchId}`),
        get('/api/batch'),
        post('/api/batch', newBatch()),
        socket.ask('subscribe', { batchId }),
        refused(app, key),
      ]);
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ error: { database: { status: 'down' } } });
      expect(ready.ms).toBeLessThan(2_500);
      for (const answer of [status, list, create]) expectUnavailable(answer);
      // Over Socket.IO the same code as over REST.
      expect(subscribed).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
      expect(handshake).toMatchObject({ message: 'SERVICE_UNAVAILABLE' });
      expect(app.process.exitCode).toBeNull();
    } finally {
      postgres.setMode('pass');
      socket.close();
    }
    await recovered(batchId);
  });

  it.each<[string, () => Promise<void>, () => Promise<void>]>([
    ['killed and started again empty', () => ownRedis.kill(), () => ownRedis.start()],
    [
      'cut off by the network',
      () => Promise.resolve(redis.setMode('blackhole')),
      () => Promise.resolve(redis.setMode('pass')),
    ],
  ])(
    'Redis %s: the API answers without it within seconds, then dispatch goes on',
    async (_case, away, back) => {
      const batchId = await sendingBatch();
      await away();
      try {
        const [ready, status, create] = await Promise.all([
          get('/health/ready'),
          get(`/api/batch/${batchId}`),
          post('/api/batch', newBatch()),
        ]);
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({ error: { redis: { status: 'down' } } });
        expect(ready.ms).toBeLessThan(2_500);
        // Nothing the API reads needs Redis: a batch is stored, and queued by the reconciler once
        // Redis is back; a status read goes without the breakers' states.
        expect(status).toMatchObject({ status: 200 });
        expect(create).toMatchObject({ status: 201 });
        for (const answer of [status, create]) expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
        expect(app.process.exitCode).toBeNull();
      } finally {
        await back();
      }
      await recovered(batchId);
    },
  );

  it('a service started while PostgreSQL is cut off stops with an error instead of never listening', async () => {
    postgres.setMode('blackhole');
    try {
      const started = Date.now();
      const { code, output } = await runUntilExit(
        { ...ENV, ...scratch.env, DATABASE_URL: databaseUrl, REDIS_URL: ownRedis.url },
        HANG_MS,
      );
      expect(code).toBe(1);
      expect(output).toContain('timeout');
      expect(Date.now() - started).toBeLessThan(HANG_MS);
    } finally {
      postgres.setMode('pass');
    }
  });
});

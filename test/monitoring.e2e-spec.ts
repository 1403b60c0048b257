// Operations: liveness and readiness on every role (and readiness when Redis goes away), Prometheus
// metrics that count what dispatch did, Bull Board behind basic auth, and CORS.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { api, scratchEnv, type ApiClient } from './support/api';
import { startApp, type RunningApp } from './support/app-process';
import { FAST_DISPATCH, waitForStatus } from './support/dispatch';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, scripted, TEMPLATE } from './factories/batch.factory';

const ADMIN_PASSWORD = 'correct horse battery staple';
const ALLOWED_ORIGIN = 'https://dashboard.example.com';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The value of one series in a Prometheus text exposition, e.g. `salvo_batches{status="failed"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(app: RunningApp): Promise<string> {
  const response = await request(app.url).get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text;
}

describe('an API process and a worker process', () => {
  let apiProcess: RunningApp;
  let worker: RunningApp;
  let client: ApiClient;

  // Of their own: a batch here sends to the simulator's opted-out number, whose answer suppresses
  // the number for every account of the database.
  const scratch = scratchEnv('monitoring_two');

  beforeAll(async () => {
    [apiProcess, worker] = await Promise.all([
      startApp({
        ...FAST_DISPATCH,
        ...scratch.env,
        APP_ROLE: 'api',
        ADMIN_PASSWORD,
        CORS_ORIGINS: `${ALLOWED_ORIGIN}, http://localhost:5173`,
      }),
      startApp({ ...FAST_DISPATCH, ...scratch.env, APP_ROLE: 'worker', ADMIN_PASSWORD }),
    ]);
    client = api(apiProcess, testEnv().bootstrapApiKey);
  });
  afterAll(async () => {
    await Promise.all([apiProcess, worker].map((p) => p.stop()));
    await scratch.drop();
  });

  it.each(['api', 'worker'])(
    'the %s process answers /health and /health/ready without a key',
    async (role) => {
      const app = role === 'api' ? apiProcess : worker;
      const live = await request(app.url).get('/health').expect(200);
      expect(live.body).toMatchObject({ status: 'ok' });
      const ready = await request(app.url).get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, redis: { status: 'up' } },
      });
    },
  );

  it('counts what dispatch did, on the worker that sent it, by priority and failure category', async () => {
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: [
          ...recipients(5),
          scripted(0), // invalid number: fails at once
          scripted(1), // opted out: fails at once
          scripted(2), // a transient error twice, then accepted
        ],
        options: { priority: 'high' },
      })
      .expect(201);
    const done = await waitForStatus(client, created.body.id, ['completed']);
    expect(done.progress).toMatchObject({ completed: 6, failed: 2 });

    const sent = await scrape(worker);
    expect(sample(sent, 'salvo_messages_sent_total{priority="high"}')).toBe(6);
    expect(sample(sent, 'salvo_messages_sent_total{priority="low"}')).toBe(0);
    expect(
      sample(sent, 'salvo_messages_failed_total{priority="high",category="invalid_number"}'),
    ).toBe(1);
    expect(sample(sent, 'salvo_messages_failed_total{priority="high",category="opted_out"}')).toBe(
      1,
    );
    expect(
      sample(sent, 'salvo_messages_failed_total{priority="high",category="provider_error"}'),
    ).toBe(0);
    expect(sample(sent, 'salvo_message_attempts_total{priority="high",outcome="accepted"}')).toBe(
      6,
    );
    // Two final failures and the two transient errors before an acceptance.
    expect(sample(sent, 'salvo_message_attempts_total{priority="high",outcome="failed"}')).toBe(4);
    expect(sample(sent, 'salvo_provider_latency_seconds_count')).toBe(10);
    expect(sample(sent, 'salvo_limiter_wait_seconds_count{priority="high"}')).toBe(10);
    expect(sent).toMatch(/^salvo_queue_depth\{priority="high",state="waiting"\} \d+$/m);
    // Node's default metrics are there too.
    expect(sent).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(sent).toMatch(/^# TYPE salvo_events_emitted_total counter$/m);
    expect(sample(sent, 'salvo_sockets_connected')).toBe(0);

    // The API process sends nothing, and reads the same batch counts from PostgreSQL.
    const served = await scrape(apiProcess);
    expect(sample(served, 'salvo_messages_sent_total{priority="high"}')).toBe(0);
    expect(sample(served, 'salvo_batches{status="completed"}')).toBeGreaterThanOrEqual(1);
    expect(sample(served, 'salvo_batches{status="cancelled"}')).toBeGreaterThanOrEqual(0);
  });

  it('serves /metrics without METRICS_TOKEN, and says so at boot', async () => {
    await scrape(worker);
    expect(worker.output()).toMatch(/"level":"warn".*METRICS_TOKEN is not set: \/metrics is open/);
  });

  describe('Bull Board at /admin/queues', () => {
    it('answers 401 without credentials, with a wrong password, and with an API key', async () => {
      const none = await request(apiProcess.url).get('/admin/queues').expect(401);
      expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
      expect(none.body).toMatchObject({ statusCode: 401, error: 'UNAUTHORIZED' });
      await request(apiProcess.url)
        .get('/admin/queues')
        .set('Authorization', basic('admin', 'wrong password'))
        .expect(401);
      await request(apiProcess.url)
        .get('/admin/queues')
        .set('Authorization', basic('root', ADMIN_PASSWORD))
        .expect(401);
      await request(apiProcess.url)
        .get('/admin/queues/api/queues')
        .set('Authorization', `Bearer ${testEnv().bootstrapApiKey}`)
        .expect(401);
    });

    it('opens with admin and ADMIN_PASSWORD, and shows the three dispatch queues', async () => {
      const auth = basic('admin', ADMIN_PASSWORD);
      const page = await request(apiProcess.url)
        .get('/admin/queues')
        .set('Authorization', auth)
        .expect(200);
      expect(page.headers['content-type']).toMatch(/html/);
      const queues = await request(apiProcess.url)
        .get('/admin/queues/api/queues')
        .set('Authorization', auth)
        .expect(200);
      const names = (queues.body.queues as { name: string }[]).map((q) => q.name).sort();
      expect(names).toEqual(['dispatch-high', 'dispatch-low', 'dispatch-normal']);
    });

    it('is not served by a worker', async () => {
      await request(worker.url)
        .get('/admin/queues')
        .set('Authorization', basic('admin', ADMIN_PASSWORD))
        .expect(404);
    });
  });

  describe('CORS', () => {
    it('answers an allowed origin with its Access-Control-Allow-Origin', async () => {
      const response = await client.get('/api/batch?limit=1').set('Origin', ALLOWED_ORIGIN);
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(response.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
      const preflight = await request(apiProcess.url)
        .options('/api/batch')
        .set('Origin', ALLOWED_ORIGIN)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    });

    it('gives another origin no CORS headers', async () => {
      const response = await client.get('/api/batch?limit=1').set('Origin', 'https://evil.example');
      expect(response.status).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

/** A TCP proxy to the test Redis: closing it takes Redis away from the process behind it. */
class RedisProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port || 6379), this.target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) =>
      server ? server.close(() => resolve()) : resolve(),
    );
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe('a process whose Redis goes away (APP_ROLE=all, no ADMIN_PASSWORD, no CORS_ORIGINS)', () => {
  const proxy = new RedisProxy(new URL(testEnv().redisUrl));
  let app: RunningApp;

  beforeAll(async () => {
    await proxy.open();
    app = await startApp({ APP_ROLE: 'all', REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  });
  afterAll(async () => {
    await app?.stop();
    await proxy.close();
  });

  it('does not mount Bull Board and sends no CORS headers', async () => {
    await request(app.url)
      .get('/admin/queues')
      .set('Authorization', basic('admin', ADMIN_PASSWORD))
      .expect(404);
    const response = await request(app.url).get('/health').set('Origin', ALLOWED_ORIGIN);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('is ready, then unready naming Redis within the timeout, stays alive, and recovers', async () => {
    await request(app.url).get('/health/ready').expect(200);
    await proxy.close();

    const unready = await request(app.url).get('/health/ready').timeout(5_000);
    expect(unready.status).toBe(503);
    expect(unready.body).toMatchObject({
      status: 'error',
      error: { redis: { status: 'down' } },
      details: { database: { status: 'up' }, redis: { status: 'down' } },
    });
    await request(app.url).get('/health').timeout(5_000).expect(200);
    // Metrics still answer: what needs Redis is left out, the rest is there.
    const metrics = await request(app.url).get('/metrics').timeout(5_000).expect(200);
    expect(metrics.text).toMatch(/^salvo_messages_sent_total\{priority="high"\} 0$/m);
    expect(metrics.text).not.toMatch(/^salvo_queue_depth\{/m);
    expect(metrics.text).toMatch(/^salvo_batches\{status="pending"\} \d+$/m);
    // Seconds on, with Bull and ioredis failing to reconnect all along: still running, still unready.
    await sleep(3_000);
    expect(app.process.exitCode).toBeNull();
    await request(app.url).get('/health/ready').timeout(5_000).expect(503);

    await proxy.open();
    await waitFor(
      'readiness once Redis is back',
      async () => (await request(app.url).get('/health/ready').timeout(5_000)).status === 200,
      { timeoutMs: 30_000, everyMs: 250 },
    );
    expect(app.process.exitCode).toBeNull();
  });
});

describe('an API process started while Redis is away', () => {
  it('serves liveness, answers unready, stays alive, and stops promptly on SIGTERM', async () => {
    // A port nothing listens on: a proxy opened, then closed.
    const proxy = new RedisProxy(new URL(testEnv().redisUrl));
    await proxy.open();
    await proxy.close();
    const app = await startApp({ APP_ROLE: 'api', REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
    try {
      await request(app.url).get('/health').timeout(5_000).expect(200);
      await request(app.url).get('/health/ready').timeout(5_000).expect(503);
      // Long enough for every client to give up its first commands (3 retries each).
      await sleep(3_000);
      expect(app.process.exitCode).toBeNull();
    } finally {
      const stopping = Date.now();
      await app.stop();
      expect(Date.now() - stopping).toBeLessThan(10_000);
    }
  });
});

// The throttles of issue 12 on two API processes sharing one database and one Redis prefix: what
// one process counted, the other enforces. Failed authentications lock a client address on every
// surface (REST, Socket.IO, Bull Board, /metrics), a correct credential included; requests and
// batch creations are counted per account. No test waits for a window to pass: Retry-After says
// when it would.
import { Agent, request as httpRequest } from 'node:http';
import { io } from 'socket.io-client';
import request from 'supertest';
import { batchBody } from './factories/batch.factory';
import { createAccount, startApp, type RunningApp } from './support/app-process';
import { dropDatabase } from './support/database';
import { deleteKeys } from './support/redis';
import { scratchDatabaseUrl, testEnv } from './support/test-env';

const ADMIN_PASSWORD = 'throttle-admin-password-e2e';
const METRICS_TOKEN = 'throttle-metrics-token-0123456789';
const ORIGIN = 'https://dashboard.example.com';

type Method = 'get' | 'post';

interface Call {
  method?: Method;
  /** The client address, told by the (trusted) proxy in X-Forwarded-For. */
  from: string;
  authorization?: string;
  body?: unknown;
}

function call(app: RunningApp, path: string, { method = 'get', from, authorization, body }: Call) {
  const req = request(app.url)[method](path).set('X-Forwarded-For', from);
  if (authorization !== undefined) req.set('Authorization', authorization);
  return body === undefined ? req : req.send(body as object);
}

const bearer = (key: string) => `Bearer ${key}`;
const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
const WRONG_KEY = bearer(`salvo_${'x'.repeat(43)}`);

interface HandshakeErrorData {
  code: string;
  message: string;
  /** RATE_LIMITED: seconds until the lock lifts. */
  retryAfterSeconds?: number;
}

/** The Socket.IO handshake's answer from a client address: 'connected', or the connect_error. */
function handshake(
  app: RunningApp,
  from: string,
  token: string,
): Promise<'connected' | { message: string; data?: HandshakeErrorData }> {
  const socket = io(`${app.url}/batches`, {
    auth: { token },
    transports: ['websocket'],
    extraHeaders: { 'X-Forwarded-For': from },
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (error: Error & { data?: HandshakeErrorData }) => {
      socket.close();
      resolve({ message: error.message, data: error.data });
    });
  });
}

/** `t` of one policy in a RateLimit field. */
function resetOf(field: string | undefined, policy: string): number {
  const match = new RegExp(`"${policy}";r=\\d+;t=(\\d+)`).exec(field ?? '');
  if (!match) throw new Error(`no "${policy}" in RateLimit: ${field}`);
  return Number(match[1]);
}

/** `r` of one policy in a RateLimit field. */
function remainingOf(field: string | undefined, policy: string): number {
  const match = new RegExp(`"${policy}";r=(\\d+)`).exec(field ?? '');
  if (!match) throw new Error(`no "${policy}" in RateLimit: ${field}`);
  return Number(match[1]);
}

/** A 429 of `policy`: the error body, Retry-After in whole seconds equal to the policy's reset. */
function expectRefusal(response: request.Response, policy: string, message: RegExp): void {
  expect(response.status).toBe(429);
  expect(response.body).toMatchObject({ statusCode: 429, error: 'RATE_LIMITED' });
  expect(response.body.message).toMatch(message);
  expect(response.headers['retry-after']).toMatch(/^\d+$/);
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(response.headers['ratelimit']).toContain(`"${policy}";r=0;t=`);
  expect(resetOf(response.headers['ratelimit'], policy)).toBe(retryAfter);
}

/** salvo_refusals_total{reason} of one process, read from an address that is not locked. */
async function refusals(app: RunningApp, reason: string): Promise<number> {
  const metrics = await call(app, '/metrics', {
    from: '192.0.2.250',
    authorization: bearer(METRICS_TOKEN),
  }).expect(200);
  const match = new RegExp(`^salvo_refusals_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(
    metrics.text,
  );
  return Number(match?.[1]);
}

/** API processes (two unless told) on a database and Redis prefix of their own, with these limits. */
function useApiProcesses(name: string, limits: Record<string, string>, processes = 2) {
  const databaseUrl = scratchDatabaseUrl(name);
  const redisPrefix = `${testEnv().redisPrefix}-${name}`;
  const context = { apps: [] as RunningApp[], databaseUrl };
  beforeAll(async () => {
    const settings = {
      ...limits,
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: redisPrefix,
      // No worker: nothing here needs sending, and the machine is shared.
      APP_ROLE: 'api',
      // Each test speaks from addresses of its own, through the proxy this trusts.
      TRUST_PROXY: '1',
      ADMIN_PASSWORD,
      METRICS_TOKEN,
      CORS_ORIGINS: ORIGIN,
    };
    context.apps = await Promise.all(Array.from({ length: processes }, () => startApp(settings)));
  });
  afterAll(async () => {
    await Promise.all(context.apps.map((app) => app.stop()));
    await dropDatabase(databaseUrl);
    await deleteKeys(testEnv().redisUrl, redisPrefix);
  });
  return context;
}

describe('throttles shared by two API processes through Redis', () => {
  const service = useApiProcesses('throttle', {
    AUTH_FAILURES_PER_MINUTE: '5',
    REQUESTS_PER_MINUTE: '12',
    BATCHES_PER_MINUTE: '3',
  });
  const one = () => service.apps[0];
  const two = () => service.apps[1];
  const key = testEnv().bootstrapApiKey;

  describe('failed authentications per client address', () => {
    it('5 wrong keys at one process lock the address at the other: a correct key gets 429', async () => {
      const from = '203.0.113.10';
      const left: number[] = [];
      for (let i = 0; i < 5; i++) {
        const wrong = await call(one(), '/api/batch', { from, authorization: WRONG_KEY }).expect(
          401,
        );
        expect(wrong.headers['ratelimit-policy']).toBe('"auth-failures";q=5;w=60');
        left.push(remainingOf(wrong.headers['ratelimit'], 'auth-failures'));
      }
      expect(left).toEqual([4, 3, 2, 1, 0]);

      const refused = await call(two(), '/api/batch', { from, authorization: bearer(key) });
      expectRefusal(refused, 'auth-failures', /failed authentications from this address/);
      expect(refused.headers['ratelimit-policy']).toBe('"auth-failures";q=5;w=60');

      // A request without a credential has nothing to guess with: the usual 401.
      await call(two(), '/api/batch', { from }).expect(401);
      // Another address is not locked, and the key itself is not.
      await call(one(), '/api/batch', { from: '203.0.113.11', authorization: bearer(key) }).expect(
        200,
      );
      expect(await refusals(two(), 'auth_throttled')).toBe(1);
    });

    it('the locked address is refused on every surface, a correct credential included', async () => {
      const from = '203.0.113.20';
      for (let i = 0; i < 5; i++) {
        await call(i % 2 ? one() : two(), '/api/batch', { from, authorization: WRONG_KEY }).expect(
          401,
        );
      }
      const before = await refusals(one(), 'auth_throttled');

      const socket = await handshake(one(), from, key);
      expect(socket).toEqual({
        message: 'RATE_LIMITED',
        data: {
          code: 'RATE_LIMITED',
          message: expect.stringMatching(/failed authentications/),
          retryAfterSeconds: expect.any(Number),
        },
      });
      const retryAfter = socket === 'connected' ? undefined : socket.data?.retryAfterSeconds;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const board = await call(one(), '/admin/queues/api/queues', {
        from,
        authorization: basic(ADMIN_PASSWORD),
      });
      expectRefusal(board, 'auth-failures', /failed authentications/);
      const metrics = await call(one(), '/metrics', { from, authorization: bearer(METRICS_TOKEN) });
      expectRefusal(metrics, 'auth-failures', /failed authentications/);
      expect(metrics.text).not.toContain('salvo_messages_sent_total');

      // The same credentials from another address open everything.
      const other = '203.0.113.21';
      expect(await handshake(two(), other, key)).toBe('connected');
      await call(two(), '/admin/queues/api/queues', {
        from: other,
        authorization: basic(ADMIN_PASSWORD),
      }).expect(200);
      expect(await refusals(one(), 'auth_throttled')).toBe(before + 3);
    });

    it('wrong Socket.IO tokens count: 5 refused handshakes lock REST at the other process', async () => {
      const from = '203.0.113.30';
      for (let i = 0; i < 5; i++) {
        const answer = await handshake(i % 2 ? one() : two(), from, `salvo_wrong_${i}`);
        expect(answer).toMatchObject({ message: 'UNAUTHORIZED' });
      }
      const refused = await call(one(), '/api/batch', { from, authorization: bearer(key) });
      expectRefusal(refused, 'auth-failures', /failed authentications/);
    });

    it('wrong Bull Board passwords count: 5 lock the board and the API', async () => {
      const from = '203.0.113.40';
      for (let i = 0; i < 5; i++) {
        const wrong = await call(two(), '/admin/queues/api/queues', {
          from,
          authorization: basic(`${ADMIN_PASSWORD}-${i}`),
        }).expect(401);
        expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
      }
      // The browser's first visit, without credentials, is still asked for them.
      const unasked = await call(one(), '/admin/queues', { from }).expect(401);
      expect(unasked.headers['www-authenticate']).toMatch(/^Basic/);
      expectRefusal(
        await call(one(), '/admin/queues/api/queues', {
          from,
          authorization: basic(ADMIN_PASSWORD),
        }),
        'auth-failures',
        /failed authentications/,
      );
      expectRefusal(
        await call(two(), '/api/batch', { from, authorization: bearer(key) }),
        'auth-failures',
        /failed authentications/,
      );
    });

    it('wrong metrics tokens count too', async () => {
      const from = '203.0.113.50';
      for (let i = 0; i < 5; i++) {
        await call(i % 2 ? one() : two(), '/metrics', {
          from,
          authorization: bearer(`${METRICS_TOKEN}${i}`),
        }).expect(401);
      }
      expectRefusal(
        await call(one(), '/metrics', { from, authorization: bearer(METRICS_TOKEN) }),
        'auth-failures',
        /failed authentications/,
      );
    });
    it('60 wrong keys sent at once: no more than 5 are checked, the rest get 429, then a correct key too', async () => {
      const from = '203.0.113.80';
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          call(i % 2 ? one() : two(), '/api/batch', { from, authorization: WRONG_KEY }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(55);
      for (const refused of answers.filter((answer) => answer.status === 429)) {
        expectRefusal(refused, 'auth-failures', /failed authentications from this address/);
      }
      expectRefusal(
        await call(two(), '/api/batch', { from, authorization: bearer(key) }),
        'auth-failures',
        /failed authentications/,
      );
    });

    it('wrong handshakes, board passwords and metrics tokens sent at once: no more than 5 checked on each', async () => {
      const sockets = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          handshake(i % 2 ? one() : two(), '203.0.113.81', `salvo_wrong_${i}`),
        ),
      );
      const codes = sockets.map((answer) => (answer === 'connected' ? answer : answer.message));
      expect(codes.filter((code) => code !== 'UNAUTHORIZED' && code !== 'RATE_LIMITED')).toEqual(
        [],
      );
      expect(codes.filter((code) => code === 'UNAUTHORIZED').length).toBeLessThanOrEqual(5);

      for (const [from, path, authorization] of [
        [
          '203.0.113.82',
          '/admin/queues/api/queues',
          (i: number) => basic(`${ADMIN_PASSWORD}-${i}`),
        ],
        ['203.0.113.83', '/metrics', (i: number) => bearer(`${METRICS_TOKEN}${i}`)],
      ] as const) {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            call(i % 2 ? one() : two(), path, { from, authorization: authorization(i) }),
          ),
        );
        const statuses = answers.map((answer) => answer.status);
        expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
        expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
      }
    });

    it('a correct credential takes nothing from the allowance, on every surface', async () => {
      const from = '203.0.113.85';
      for (let i = 0; i < 4; i++) {
        await call(one(), '/api/batch', { from, authorization: WRONG_KEY }).expect(401);
      }
      // Four failures counted: each correct credential below is counted while it is checked,
      // then given back, so none of them locks the address.
      for (let i = 0; i < 3; i++) {
        await call(two(), '/api/batch', { from, authorization: bearer(key) }).expect(200);
        expect(await handshake(one(), from, key)).toBe('connected');
        await call(two(), '/admin/queues/api/queues', {
          from,
          authorization: basic(ADMIN_PASSWORD),
        }).expect(200);
        await call(one(), '/metrics', { from, authorization: bearer(METRICS_TOKEN) }).expect(200);
      }
      const fifth = await call(one(), '/api/batch', { from, authorization: WRONG_KEY }).expect(401);
      expect(fifth.headers['ratelimit']).toMatch(/^"auth-failures";r=0;t=\d+$/);
      expectRefusal(
        await call(two(), '/api/batch', { from, authorization: bearer(key) }),
        'auth-failures',
        /failed authentications/,
      );
    });

    it('keys an address without its port, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', async () => {
      // A port per connection gives no new allowance.
      for (let i = 0; i < 5; i++) {
        await call(i % 2 ? one() : two(), '/api/batch', {
          from: `198.51.100.70:${51_000 + i}`,
          authorization: WRONG_KEY,
        }).expect(401);
      }
      for (const from of ['198.51.100.70', '198.51.100.70:443', '::ffff:198.51.100.70']) {
        expectRefusal(
          await call(one(), '/api/batch', { from, authorization: bearer(key) }),
          'auth-failures',
          /failed authentications/,
        );
      }
      // An IPv6 client holds a /64: a new address per request gives no new allowance either.
      const wrongFrom = [
        '2001:db8:1:2::a',
        '[2001:db8:1:2::b]:443',
        '2001:db8:1:2:ffff:ffff:ffff:ffff',
        '2001:0DB8:0001:0002:0:0:0:c',
        '[2001:db8:1:2:abcd::1]',
      ];
      for (const from of wrongFrom) {
        await call(two(), '/api/batch', { from, authorization: WRONG_KEY }).expect(401);
      }
      expectRefusal(
        await call(one(), '/api/batch', {
          from: '2001:db8:1:2:1234::9',
          authorization: bearer(key),
        }),
        'auth-failures',
        /failed authentications/,
      );
      // The next /64 is another client.
      await call(one(), '/api/batch', {
        from: '2001:db8:1:3::a',
        authorization: bearer(key),
      }).expect(200);
    });

    it('successful answers of /metrics and Bull Board carry no RateLimit fields', async () => {
      const from = '203.0.113.86';
      // A failure counted first, so the address has an auth-failures count to (wrongly) report.
      await call(one(), '/metrics', { from, authorization: bearer('wrong') }).expect(401);
      const metrics = await call(two(), '/metrics', {
        from,
        authorization: bearer(METRICS_TOKEN),
      }).expect(200);
      const board = await call(one(), '/admin/queues/api/queues', {
        from,
        authorization: basic(ADMIN_PASSWORD),
      }).expect(200);
      for (const answer of [metrics, board]) {
        expect(answer.headers['ratelimit-policy']).toBeUndefined();
        expect(answer.headers['ratelimit']).toBeUndefined();
      }
      // A REST success names the account's policies only.
      const api = await call(two(), '/api/batch', { from, authorization: bearer(key) }).expect(200);
      expect(api.headers['ratelimit-policy']).toBe('"requests";q=12;w=60');
      expect(api.headers['ratelimit']).toMatch(/^"requests";r=\d+;t=\d+$/);
    });

    it("Bull Board's 401, 403 and 429 do not wait for a body nobody reads", async () => {
      // A kept-alive connection announcing 65 MB and sending it slowly: answered at once, then
      // closed after a short linger (as the API's refusals are), not held open for the rest.
      const from = '203.0.113.87';
      const { port } = new URL(one().url);
      const post = (authorization: string, sender = from) => {
        const req = httpRequest({
          port,
          method: 'POST',
          path: '/admin/queues/api/queues/dispatch-high/pause',
          headers: {
            authorization,
            'x-forwarded-for': sender,
            'content-type': 'application/json',
            'content-length': String(65 * 1024 * 1024),
          },
          agent: new Agent({ keepAlive: true }),
        });
        req.on('error', () => undefined);
        const closed = new Promise<void>((resolve) =>
          req.on('socket', (socket) => socket.once('close', () => resolve())),
        );
        const status = new Promise<number>((resolve) =>
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode!);
          }),
        );
        // The body keeps coming, slowly, until the connection closes.
        req.write(Buffer.alloc(1000, 'x'));
        const trickle = setInterval(() => req.write(Buffer.alloc(1000, 'x')), 300);
        void closed.then(() => clearInterval(trickle));
        const stop = () => {
          clearInterval(trickle);
          req.destroy();
        };
        return { status, closed, stop };
      };
      const closesSoon = async (sent: ReturnType<typeof post>, status: number) => {
        expect(await sent.status).toBe(status);
        const answered = Date.now();
        const closedAt = await Promise.race([
          sent.closed.then(() => Date.now()),
          new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 8_000)),
        ]);
        sent.stop();
        expect(closedAt - answered).toBeLessThan(5_000);
      };
      for (let i = 0; i < 4; i++) {
        await call(two(), '/api/batch', { from, authorization: WRONG_KEY }).expect(401);
      }
      // The fifth failure, then the lock.
      await closesSoon(post(basic(`${ADMIN_PASSWORD}-x`)), 401);
      // The right password, without an Origin: a write refused before bull-board reads it.
      await closesSoon(post(basic(ADMIN_PASSWORD), '203.0.113.88'), 403);
      await closesSoon(post(basic(ADMIN_PASSWORD)), 429);
    });
  });

  describe('requests per account', () => {
    it('12 requests a minute across both processes: the 13th is refused, with the headers on every answer', async () => {
      const { key: accountKey } = await createAccount('throttle-requests', service.databaseUrl);
      const from = '198.51.100.10';
      const left: number[] = [];
      for (let i = 0; i < 12; i++) {
        const ok = await call(i % 2 ? two() : one(), '/api/batch', {
          from,
          authorization: bearer(accountKey),
        })
          .set('Origin', ORIGIN)
          .expect(200);
        expect(ok.headers['ratelimit-policy']).toBe('"requests";q=12;w=60');
        expect(resetOf(ok.headers['ratelimit'], 'requests')).toBeLessThanOrEqual(60);
        expect(ok.headers['retry-after']).toBeUndefined();
        // Readable by the pages of allowed origins.
        expect(ok.headers['access-control-expose-headers']).toMatch(/\bRateLimit\b/);
        expect(ok.headers['access-control-expose-headers']).toMatch(/\bRateLimit-Policy\b/);
        left.push(remainingOf(ok.headers['ratelimit'], 'requests'));
      }
      expect(left).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);

      const refusedAt = await refusals(two(), 'requests_throttled');
      const refused = await call(two(), '/api/batch', { from, authorization: bearer(accountKey) });
      expectRefusal(refused, 'requests', /more than 12 requests/);
      expect(refused.headers['ratelimit-policy']).toBe('"requests";q=12;w=60');
      // Any route of the account, from any address.
      expectRefusal(
        await call(one(), '/api/batch/00000000-0000-7000-8000-000000000000', {
          from: '198.51.100.11',
          authorization: bearer(accountKey),
        }),
        'requests',
        /more than 12 requests/,
      );
      expect(await refusals(two(), 'requests_throttled')).toBe(refusedAt + 1);

      // Other accounts keep their own count.
      const other = await call(one(), '/api/batch', { from, authorization: bearer(key) }).expect(
        200,
      );
      expect(remainingOf(other.headers['ratelimit'], 'requests')).toBeGreaterThan(0);
    });
  });

  describe('batch creations per account', () => {
    it('3 creations a minute across both processes, a refused body counted too; the 4th is refused and stores nothing', async () => {
      const { key: accountKey } = await createAccount('throttle-batches', service.databaseUrl);
      const from = '198.51.100.20';
      const auth = bearer(accountKey);
      const create = (app: RunningApp, body: unknown) =>
        call(app, '/api/batch', { method: 'post', from, authorization: auth, body });

      // An attempt counts, whatever its body: the guard decides before the body is read.
      const invalid = await create(one(), { text: '' }).expect(400);
      expect(invalid.headers['ratelimit-policy']).toBe('"requests";q=12;w=60, "batches";q=3;w=60');
      expect(remainingOf(invalid.headers['ratelimit'], 'batches')).toBe(2);
      const first = await create(two(), batchBody({ options: { autoStart: false } })).expect(201);
      expect(remainingOf(first.headers['ratelimit'], 'batches')).toBe(1);
      const second = await create(one(), batchBody({ options: { autoStart: false } })).expect(201);
      expect(remainingOf(second.headers['ratelimit'], 'batches')).toBe(0);

      const refused = await create(two(), batchBody({ options: { autoStart: false } }));
      expectRefusal(refused, 'batches', /3 batch creation attempts this minute/);
      expect(refused.headers['ratelimit-policy']).toBe('"requests";q=12;w=60, "batches";q=3;w=60');
      expect(remainingOf(refused.headers['ratelimit'], 'requests')).toBe(8);
      expect(await refusals(two(), 'batches_throttled')).toBe(1);

      // Other routes are not creations; the refused one stored nothing.
      const list = await call(one(), '/api/batch', { from, authorization: auth }).expect(200);
      expect(list.headers['ratelimit-policy']).toBe('"requests";q=12;w=60');
      expect(list.body.items.map((b: { id: string }) => b.id).sort()).toEqual(
        [first.body.id, second.body.id].sort(),
      );
    });
  });

  it('documents 429 RATE_LIMITED with its headers on authenticated routes', async () => {
    const doc = (await request(one().url).get('/api/docs-json').expect(200)).body;
    for (const [path, method] of [
      ['/api/batch', 'post'],
      ['/api/batch', 'get'],
      ['/api/batch/{id}/errors', 'get'],
      ['/api/template/preview', 'post'],
    ]) {
      const tooMany = doc.paths[path][method].responses['429'];
      expect(tooMany.description).toContain('RATE_LIMITED');
      expect(Object.keys(tooMany.headers)).toEqual(
        expect.arrayContaining(['Retry-After', 'RateLimit', 'RateLimit-Policy']),
      );
    }
  });
});

describe('a limit of 0 is off, each on its own', () => {
  const service = useApiProcesses('throttle-off', {
    AUTH_FAILURES_PER_MINUTE: '0',
    REQUESTS_PER_MINUTE: '3',
    BATCHES_PER_MINUTE: '0',
  });
  const key = testEnv().bootstrapApiKey;

  it('failed authentications: never locked, no auth policy sent', async () => {
    const [one, two] = service.apps;
    const from = '203.0.113.60';
    for (let i = 0; i < 25; i++) {
      const wrong = await call(i % 2 ? one : two, '/api/batch', {
        from,
        authorization: WRONG_KEY,
      }).expect(401);
      expect(wrong.headers['ratelimit-policy']).toBeUndefined();
      expect(wrong.headers['ratelimit']).toBeUndefined();
    }
    expect(await handshake(one, from, key)).toBe('connected');
    await call(two, '/admin/queues/api/queues', {
      from,
      authorization: basic(ADMIN_PASSWORD),
    }).expect(200);
    // The limit that is on still holds: requests, 3 a minute, and batch creations are not named.
    const created = await call(one, '/api/batch', {
      method: 'post',
      from,
      authorization: bearer(key),
      body: batchBody({ options: { autoStart: false } }),
    }).expect(201);
    expect(created.headers['ratelimit-policy']).toBe('"requests";q=3;w=60');
    await call(two, '/api/batch', { from, authorization: bearer(key) }).expect(200);
    await call(one, '/api/batch', { from, authorization: bearer(key) }).expect(200);
    expectRefusal(
      await call(two, '/api/batch', { from, authorization: bearer(key) }),
      'requests',
      /more than 3 requests/,
    );
  });
});

describe('only the auth throttle on', () => {
  const service = useApiProcesses(
    'throttle-auth-only',
    { AUTH_FAILURES_PER_MINUTE: '5', REQUESTS_PER_MINUTE: '0', BATCHES_PER_MINUTE: '0' },
    1,
  );
  const key = testEnv().bootstrapApiKey;

  it('successful answers carry no RateLimit fields; a 401 to a wrong key carries auth-failures', async () => {
    const [app] = service.apps;
    const from = '203.0.113.90';
    const wrong = await call(app, '/api/batch', { from, authorization: WRONG_KEY }).expect(401);
    expect(wrong.headers['ratelimit-policy']).toBe('"auth-failures";q=5;w=60');
    expect(wrong.headers['ratelimit']).toMatch(/^"auth-failures";r=4;t=\d+$/);
    const list = await call(app, '/api/batch', { from, authorization: bearer(key) }).expect(200);
    const created = await call(app, '/api/batch', {
      method: 'post',
      from,
      authorization: bearer(key),
      body: batchBody({ options: { autoStart: false } }),
    }).expect(201);
    for (const answer of [list, created]) {
      expect(answer.headers['ratelimit-policy']).toBeUndefined();
      expect(answer.headers['ratelimit']).toBeUndefined();
      expect(answer.headers['retry-after']).toBeUndefined();
    }
  });
});

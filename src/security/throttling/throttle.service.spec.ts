// The throttles on a real Redis: fixed windows of a minute shared by every process, credentials
// counted before they are checked (so parallel guesses count against each other), limits of 0,
// and failing open when Redis is down or silent.
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { redisConfig, type ThrottleConfig } from '../../config/configuration';
import { MetricsService } from '../../metrics/metrics.service';
import { ThrottleService, type CredentialCheck, type Verdict } from './throttle.service';

// The machine's Redis, as the service reads it (REDIS_URL, or its default).
const REDIS_URL = redisConfig().url;

const LIMITS: ThrottleConfig = {
  authFailuresPerMinute: 3,
  requestsPerMinute: 5,
  batchesPerMinute: 2,
};

/** A throttle service as one API process has it: its own metrics, a shared Redis and prefix. */
function newThrottle(redis: Redis, prefix: string, limits: Partial<ThrottleConfig> = {}) {
  const metrics = new MetricsService();
  const throttle = new ThrottleService(
    redis,
    { url: REDIS_URL, prefix, commandTimeoutMs: 2_000 },
    { ...LIMITS, ...limits },
    metrics,
  );
  const refusals = async (reason: string): Promise<number> => {
    const metric = await metrics.registry.getSingleMetric('salvo_refusals_total')!.get();
    return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  };
  return { throttle, refusals };
}

/** Settles with the call's answer, or 'still waiting' after `ms`. */
function within<T>(ms: number, call: Promise<T>): Promise<T | 'still waiting'> {
  return Promise.race([
    call,
    new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms)),
  ]);
}

describe('ThrottleService on Redis', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    // Until it is ready, the throttles would pass everything (rejectIfRedisNotReady).
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  });
  beforeEach(() => {
    prefix = `salvo-unit-throttle-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  });
  afterAll(() => redis.quit());

  it('counts requests per account in a window of 60 s, shared by two processes', async () => {
    const one = newThrottle(redis, prefix).throttle;
    const two = newThrottle(redis, prefix).throttle;
    const answers: Verdict[] = [];
    for (let i = 0; i < 5; i++)
      answers.push(await (i % 2 ? two : one).accountRequest('acc', false));
    expect(answers.map((a) => a.refusal)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(answers.map((a) => /r=(\d+)/.exec(a.headers.RateLimit)![1])).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
    ]);
    for (const answer of answers) {
      expect(answer.headers['RateLimit-Policy']).toBe('"requests";q=5;w=60');
      const t = Number(/t=(\d+)/.exec(answer.headers.RateLimit)![1]);
      expect(t).toBeGreaterThan(50);
      expect(t).toBeLessThanOrEqual(60);
      expect(answer.headers['Retry-After']).toBeUndefined();
    }
    const sixth = await two.accountRequest('acc', false);
    expect(sixth.refusal).toMatchObject({ policy: 'requests' });
    expect(sixth.refusal!.message).toMatch(/more than 5 requests/);
    expect(sixth.headers.RateLimit).toMatch(/^"requests";r=0;t=\d+$/);
    expect(Number(sixth.headers['Retry-After'])).toBe(
      Number(/t=(\d+)/.exec(sixth.headers.RateLimit)![1]),
    );
    // Another account has its own count.
    expect((await one.accountRequest('other', false)).refusal).toBeUndefined();
  });

  it('keeps its keys under REDIS_PREFIX', async () => {
    const { throttle } = newThrottle(redis, prefix);
    await throttle.accountRequest('acc', true);
    (await throttle.authAttempt('203.0.113.9')).failed();
    expect((await redis.keys(`${prefix}:throttle:*`)).sort()).toEqual([
      `${prefix}:throttle:auth-failures:203.0.113.9`,
      `${prefix}:throttle:batches:acc`,
      `${prefix}:throttle:requests:acc`,
    ]);
  });

  it('counts batch creations on top of requests, and a request refused is no creation', async () => {
    const { throttle, refusals } = newThrottle(redis, prefix, { requestsPerMinute: 4 });
    const first = await throttle.accountRequest('acc', true);
    expect(first.headers['RateLimit-Policy']).toBe('"requests";q=4;w=60, "batches";q=2;w=60');
    expect(first.headers.RateLimit).toMatch(/^"requests";r=3;t=\d+, "batches";r=1;t=\d+$/);
    expect((await throttle.accountRequest('acc', true)).refusal).toBeUndefined();
    const third = await throttle.accountRequest('acc', true);
    expect(third.refusal).toMatchObject({ policy: 'batches' });
    expect(third.headers.RateLimit).toMatch(/"batches";r=0;t=\d+/);
    // Other routes are not batch creations: they pass while creations are refused.
    const list = await throttle.accountRequest('acc', false);
    expect(list.refusal).toBeUndefined();
    expect(list.headers['RateLimit-Policy']).toBe('"requests";q=4;w=60');
    const fifth = await throttle.accountRequest('acc', true);
    expect(fifth.refusal).toMatchObject({ policy: 'requests' });
    expect(await refusals('batches_throttled')).toBe(1);
    expect(await refusals('requests_throttled')).toBe(1);
    // The creation refused by the request limit was not counted as one.
    expect(await redis.get(`${prefix}:throttle:batches:acc`)).toBe('3');
  });

  /** A credential from `address` checked and found wrong: the 401's verdict. */
  const wrong = async (throttle: ThrottleService, address: string): Promise<Verdict> => {
    const check = await throttle.authAttempt(address);
    expect(check.refused).toBeUndefined();
    return check.failed();
  };
  const authKey = (address: string) => `${prefix}:throttle:auth-failures:${address}`;

  it('locks an address after its failures, counted by two processes; right credentials give their point back', async () => {
    const one = newThrottle(redis, prefix);
    const two = newThrottle(redis, prefix);
    // Right credentials: each counted while checked, then given back.
    for (let i = 0; i < 10; i++) {
      const check = await one.throttle.authAttempt('203.0.113.1');
      expect(check.refused).toBeUndefined();
      await check.release();
    }
    expect(await redis.get(authKey('203.0.113.1'))).toBe('0');
    const failures = [];
    for (let i = 0; i < 3; i++) failures.push(await wrong(two.throttle, '203.0.113.1'));
    // A failure is answered 401 by its caller, never refused here, with what is left.
    expect(failures.map((f) => [f.refusal, f.headers.RateLimit?.replace(/t=\d+/, 't')])).toEqual([
      [undefined, '"auth-failures";r=2;t'],
      [undefined, '"auth-failures";r=1;t'],
      [undefined, '"auth-failures";r=0;t'],
    ]);
    for (const failure of failures) {
      expect(failure.headers['RateLimit-Policy']).toBe('"auth-failures";q=3;w=60');
    }
    const locked = await one.throttle.authAttempt('203.0.113.1');
    expect(locked.refused?.refusal).toMatchObject({ policy: 'auth-failures' });
    expect(locked.refused?.refusal?.message).toMatch(/^3 failed authentications from this address/);
    expect(locked.refused?.headers['RateLimit-Policy']).toBe('"auth-failures";q=3;w=60');
    expect(locked.refused?.headers.RateLimit).toMatch(/^"auth-failures";r=0;t=\d+$/);
    expect(Number(locked.refused?.headers['Retry-After'])).toBeGreaterThan(50);
    expect(await one.refusals('auth_throttled')).toBe(1);
    // The refused attempt gave its point back: the count is the failures'.
    expect(await redis.get(authKey('203.0.113.1'))).toBe('3');
    // Other addresses are not locked; the webhook bucket is another one.
    expect((await one.throttle.authAttempt('203.0.113.2')).refused).toBeUndefined();
    expect((await one.throttle.webhookAttempt('203.0.113.1')).refused).toBeUndefined();
  });

  it('credentials checked at the same time count against each other: no more than the limit are checked', async () => {
    const one = newThrottle(redis, prefix);
    const two = newThrottle(redis, prefix);
    const checks = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).throttle.authAttempt('203.0.113.6')),
    );
    const admitted = checks.filter((check) => !check.refused);
    expect(admitted).toHaveLength(3);
    // The refused ones gave their points back; the admitted ones hold theirs while checked.
    expect(await redis.get(authKey('203.0.113.6'))).toBe('3');
    // One turns out right: its point back, so one more may be checked; the others fail.
    await admitted[0].release();
    admitted.slice(1).forEach((check) => check.failed());
    expect(await redis.get(authKey('203.0.113.6'))).toBe('2');
    expect((await wrong(one.throttle, '203.0.113.6')).headers.RateLimit).toMatch(/r=0;/);
    expect((await two.throttle.authAttempt('203.0.113.6')).refused).toBeDefined();
  });

  it('keys addresses by addressKey: one bucket per port-less IPv4 address and per IPv6 /64', async () => {
    const { throttle } = newThrottle(redis, prefix);
    await wrong(throttle, '198.51.100.7:51234');
    await wrong(throttle, '::ffff:198.51.100.7');
    await wrong(throttle, '198.51.100.7');
    expect((await throttle.authAttempt('198.51.100.7:443')).refused).toBeDefined();
    await wrong(throttle, '2001:db8:5:6::1');
    await wrong(throttle, '[2001:db8:5:6:ffff::2]:443');
    await wrong(throttle, '2001:db8:5:6:1:2:3:4');
    expect((await throttle.authAttempt('2001:db8:5:6::abcd')).refused).toBeDefined();
    expect((await throttle.authAttempt('2001:db8:5:7::1')).refused).toBeUndefined();
    expect((await redis.keys(`${prefix}:throttle:auth-failures:*`)).sort()).toEqual([
      authKey('198.51.100.7'),
      authKey('2001:db8:5:6::/64'),
      authKey('2001:db8:5:7::/64'),
    ]);
  });

  it('settles a check once: a release after its failure, or a second release, gives nothing back', async () => {
    const { throttle } = newThrottle(redis, prefix);
    const failedOne = await throttle.authAttempt('203.0.113.7');
    failedOne.failed();
    await failedOne.release();
    const rightOne = await throttle.authAttempt('203.0.113.7');
    await rightOne.release();
    await rightOne.release();
    expect(await redis.get(authKey('203.0.113.7'))).toBe('1');
  });

  it('gives no point back in the last second of its window, so none lands in the next window', async () => {
    const { throttle } = newThrottle(redis, prefix);
    // A window with 800 ms to run.
    await redis.set(authKey('203.0.113.8'), 1, 'PX', 800);
    const check = await throttle.authAttempt('203.0.113.8');
    expect(check.refused).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 900));
    // The window is over: given back now, the point would open the next window at -1.
    await check.release();
    expect(await redis.get(authKey('203.0.113.8'))).toBeNull();
  });

  it('lifts the lock when the window passes', async () => {
    const { throttle } = newThrottle(redis, prefix);
    for (let i = 0; i < 3; i++) await wrong(throttle, '203.0.113.3');
    expect((await throttle.authAttempt('203.0.113.3')).refused).toBeDefined();
    // The end of the window, brought forward: the count's key expires with it.
    await redis.pexpire(authKey('203.0.113.3'), 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await throttle.authAttempt('203.0.113.3');
    expect(after.refused).toBeUndefined();
    expect(after.failed().headers.RateLimit).toBe('"auth-failures";r=2;t=60');
  });

  it('webhook signature failures lock their own bucket, and never the API', async () => {
    const { throttle, refusals } = newThrottle(redis, prefix);
    for (let i = 0; i < 3; i++) {
      const check = await throttle.webhookAttempt('198.51.100.1');
      expect(check.refused).toBeUndefined();
      expect(check.failed().refusal).toBeUndefined();
    }
    const lock = await throttle.webhookAttempt('198.51.100.1');
    expect(lock.refused?.refusal).toMatchObject({ policy: 'webhook-signature-failures' });
    expect(lock.refused?.headers['RateLimit-Policy']).toBe('"webhook-signature-failures";q=3;w=60');
    expect((await throttle.authAttempt('198.51.100.1')).refused).toBeUndefined();
    expect(await refusals('auth_throttled')).toBe(0);
  });

  it('signed webhook calls are never refused, however many arrive at once from one address', async () => {
    const { throttle } = newThrottle(redis, prefix);
    const checks = await Promise.all(
      Array.from({ length: 50 }, () => throttle.webhookAttempt('198.51.100.2')),
    );
    expect(checks.filter((check) => check.refused)).toEqual([]);
    await Promise.all(checks.map((check) => check.release()));
    expect((await throttle.webhookAttempt('198.51.100.2')).refused).toBeUndefined();
  });

  it('a limit of 0 is off: never refuses, sends no policy, writes nothing', async () => {
    const { throttle } = newThrottle(redis, prefix, {
      authFailuresPerMinute: 0,
      requestsPerMinute: 0,
      batchesPerMinute: 0,
    });
    for (let i = 0; i < 10; i++) {
      const check = await throttle.authAttempt('203.0.113.4');
      expect(check.refused).toBeUndefined();
      expect(check.failed()).toEqual({ headers: {} });
      expect(await throttle.accountRequest('acc', true)).toEqual({ headers: {} });
    }
    await (await throttle.authAttempt('203.0.113.4')).release();
    expect(await redis.keys(`${prefix}:*`)).toEqual([]);
  });

  it('one limit off, the others on: only theirs are named', async () => {
    const { throttle } = newThrottle(redis, prefix, { requestsPerMinute: 0 });
    const answer = await throttle.accountRequest('acc', true);
    expect(answer.headers['RateLimit-Policy']).toBe('"batches";q=2;w=60');
    expect(answer.headers.RateLimit).toMatch(/^"batches";r=1;t=\d+$/);
  });
});

describe('ThrottleService without Redis: fails open', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const throttleWarnings = () =>
    warn.mock.calls.filter(([message]) => String(message).includes('requests pass unthrottled'));

  /** Every kind of throttle call, five times: each must pass without a refusal. */
  async function everyCall(throttle: ThrottleService): Promise<(Verdict | 'still waiting')[]> {
    const answers: (Verdict | 'still waiting')[] = [];
    const refusedCheck = (check: CredentialCheck | 'still waiting') =>
      check === 'still waiting' ? check : (check.refused ?? { headers: {} });
    for (let i = 0; i < 5; i++) {
      const right = await within(3_000, throttle.authAttempt('203.0.113.5'));
      answers.push(refusedCheck(right));
      // A give-back to a Redis that is away does not throw.
      if (right !== 'still waiting')
        answers.push(
          await within(
            3_000,
            right.release().then(() => ({ headers: {} })),
          ),
        );
      const wrongOne = await within(3_000, throttle.authAttempt('203.0.113.5'));
      answers.push(refusedCheck(wrongOne));
      if (wrongOne !== 'still waiting') answers.push(wrongOne.failed());
      answers.push(await within(3_000, throttle.accountRequest('acc', true)));
    }
    return answers;
  }

  it('Redis refusing connections: no call waits, every one passes, one warning', async () => {
    const closed = await closedPort();
    // As the app's shared client: it reconnects and queues commands meanwhile (forever, here).
    const redis = new Redis(`redis://127.0.0.1:${closed}`, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    try {
      const { throttle } = newThrottle(redis, 'salvo-unit-down', { requestsPerMinute: 1 });
      const answers = await everyCall(throttle);
      expect(answers).not.toContain('still waiting');
      expect(answers.filter((a) => a !== 'still waiting' && a.refusal)).toEqual([]);
      // The policy is still said where it belongs (a 401, an account's request); what is left
      // is not known. A right credential's answer says nothing of the auth throttle.
      expect(answers.slice(0, 5)).toEqual([
        { headers: {} },
        { headers: {} },
        { headers: {} },
        { headers: { 'RateLimit-Policy': '"auth-failures";q=3;w=60' } },
        { headers: { 'RateLimit-Policy': '"requests";q=1;w=60, "batches";q=2;w=60' } },
      ]);
      expect(throttleWarnings()).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  it('Redis connected but silent: each call waits at most its timeout, then passes; one warning', async () => {
    const proxy = await mutableProxy(new URL(REDIS_URL));
    const redis = new Redis(`redis://127.0.0.1:${proxy.port}`, { maxRetriesPerRequest: null });
    redis.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      // Ready, then nothing comes back: Redis hung, or a link that drops packets.
      proxy.mute();
      const { throttle } = newThrottle(redis, 'salvo-unit-silent', { requestsPerMinute: 1 });
      const answers = await everyCall(throttle);
      expect(redis.status).toBe('ready');
      expect(answers).not.toContain('still waiting');
      expect(answers.filter((a) => a !== 'still waiting' && a.refusal)).toEqual([]);
      expect(throttleWarnings()).toHaveLength(1);
    } finally {
      redis.disconnect();
      await proxy.close();
    }
  });
});

describe('ThrottleService after a stall: a late count is given back', () => {
  it('a right credential checked while Redis stalled gives back the point that lands afterwards', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const proxy = await mutableProxy(new URL(REDIS_URL));
    const redis = new Redis(`redis://127.0.0.1:${proxy.port}`, { maxRetriesPerRequest: null });
    const direct = new Redis(REDIS_URL);
    redis.on('error', () => undefined);
    const prefix = `salvo-unit-stall-${randomBytes(4).toString('hex')}`;
    try {
      await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      const { throttle } = newThrottle(redis, prefix);
      proxy.hold();
      // Past the 500 ms timeout the check goes ahead; the consume is still on its way.
      const check = await throttle.authAttempt('203.0.113.77');
      expect(check.refused).toBeUndefined();
      await check.release();
      proxy.flush();
      const key = `${prefix}:throttle:auth-failures:203.0.113.77`;
      await waitFor(async () => (await direct.get(key)) === '0');
      expect(await direct.get(key)).toBe('0');
    } finally {
      warn.mockRestore();
      const keys = await direct.keys(`${prefix}:*`);
      if (keys.length) await direct.del(...keys);
      direct.disconnect();
      redis.disconnect();
      await proxy.close();
    }
  });
});

/** Polls `condition` every 50 ms for up to 3 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline && !(await condition())) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP proxy to Redis that can stop passing on what clients send, keeping their connections. */
async function mutableProxy(
  target: URL,
): Promise<{ port: number; mute(): void; hold(): void; flush(): void; close(): Promise<void> }> {
  let muted = false;
  let held: { upstream: Socket; chunk: Buffer }[] | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => {
      if (held) held.push({ upstream, chunk });
      else if (!muted) upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    mute: () => {
      muted = true;
    },
    /** Keeps what clients send until flush(): a Redis that stalls, then answers. */
    hold: () => {
      held = [];
    },
    flush: () => {
      for (const { upstream, chunk } of held ?? []) upstream.write(chunk);
      held = undefined;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

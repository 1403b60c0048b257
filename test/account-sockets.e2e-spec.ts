// MAX_SOCKETS_PER_ACCOUNT's count on a real Redis, one AccountSockets per simulated API process:
// shared across processes, freed on leaving, renewed while alive, forgotten after a crash.
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccountSockets } from '../src/monitoring/gateway/account-sockets';
import { deleteKeys } from './support/redis';
import { testEnv } from './support/test-env';

/** Long enough that a busy machine never lets a lease lapse by accident. */
const LEASE_MS = 10_000;
/** For the tests about leases running out, or being renewed. */
const SHORT_LEASE_MS = 600;
const ACCOUNT = 'account-1';

describe('the socket count of an account on Redis', () => {
  const prefix = `${testEnv().redisPrefix}-sockets`;
  const started: { counter: AccountSockets; redis: Redis }[] = [];
  let n = 0;

  /** One API process: its own Redis connection and heartbeat. */
  function apiProcess(maxSocketsPerAccount = 2, url = testEnv().redisUrl, leaseMs = LEASE_MS) {
    // No reconnecting: a test's process ends when it is stopped, reachable or not.
    const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const counter = new AccountSockets(
      redis,
      { subscribesPerSecond: 0, maxSubscriptionsPerSocket: 0, maxSocketsPerAccount },
      { url, prefix, commandTimeoutMs: 2_000 },
      leaseMs,
    );
    started.push({ counter, redis });
    return { counter, redis };
  }
  const connected = () => false;
  const socket = () => `socket-${++n}`;

  // The crash and fail-open cases warn; what matters here is who gets in.
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(async () => {
    for (const { counter, redis } of started.splice(0)) {
      await counter.onApplicationShutdown();
      redis.disconnect();
    }
    await deleteKeys(testEnv().redisUrl, prefix);
  });

  it('counts the sockets of an account across processes, and frees a place when one leaves', async () => {
    const [a, b] = [apiProcess(), apiProcess()];
    const first = socket();
    expect(await a.counter.acquire(ACCOUNT, first, connected)).toBe(true);
    expect(await b.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
    expect(await a.counter.acquire(ACCOUNT, socket(), connected)).toBe(false);
    expect(await b.counter.acquire(ACCOUNT, socket(), connected)).toBe(false);
    // Another account has its own count.
    expect(await a.counter.acquire('account-2', socket(), connected)).toBe(true);
    await a.counter.release(first);
    expect(await b.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
  });

  it('keeps the sockets of a live process counted past their first lease', async () => {
    const live = apiProcess(1, testEnv().redisUrl, SHORT_LEASE_MS);
    const other = apiProcess(1);
    expect(await live.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
    await sleep(SHORT_LEASE_MS * 3);
    expect(await other.counter.acquire(ACCOUNT, socket(), connected)).toBe(false);
  });

  it('forgets the sockets of a process that died once their leases run out', async () => {
    const crashed = apiProcess(2, testEnv().redisUrl, SHORT_LEASE_MS);
    const survivor = apiProcess();
    expect(await crashed.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
    expect(await crashed.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
    crashed.redis.disconnect(); // no more heartbeats, no goodbye
    expect(await survivor.counter.acquire(ACCOUNT, socket(), connected)).toBe(false);
    await sleep(SHORT_LEASE_MS + 200);
    expect(await survivor.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
  });

  it('frees the place of a socket whose client left during the handshake', async () => {
    const a = apiProcess(1, testEnv().redisUrl, SHORT_LEASE_MS);
    const b = apiProcess(1);
    expect(await a.counter.acquire(ACCOUNT, socket(), () => true)).toBe(true);
    await sleep(SHORT_LEASE_MS / 3 + 200); // one heartbeat
    expect(await b.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
  });

  it('lets sockets in when Redis cannot answer (fail open)', async () => {
    const unreachable = apiProcess(1, 'redis://127.0.0.1:1');
    for (let i = 0; i < 3; i++) {
      expect(await unreachable.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
    }
  });

  it('counts nothing when MAX_SOCKETS_PER_ACCOUNT is 0', async () => {
    const off = apiProcess(0);
    for (let i = 0; i < 3; i++) {
      expect(await off.counter.acquire(ACCOUNT, socket(), connected)).toBe(true);
    }
    expect(await off.redis.exists(`${prefix}:sockets:${ACCOUNT}`)).toBe(0);
  });
});

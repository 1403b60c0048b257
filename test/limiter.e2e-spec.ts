// The limiter's Lua scripts on a real Redis, against the pure code they mirror (allotment.ts,
// backpressure.ts): shares of the ceiling, pauses, the AIMD ceiling and reported limits.
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Priority } from '../src/rate-limit/tier-rates';
import type { RateLimitConfig } from '../src/config/configuration';
import { allot } from '../src/rate-limit/allotment';
import { RateLimiter, type PermitScope } from '../src/rate-limit/rate-limiter';
import { deleteKeys } from './support/redis';
import { testEnv } from './support/test-env';

const BACKPRESSURE = {
  decrease: 0.5,
  recoveryMps: 1,
  minimumMps: 1,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
};

/** `count` one-segment messages to the simulated provider. */
function sim(count: number): PermitScope {
  return { provider: 'simulated', segments: Array<number>(count).fill(1) };
}

describe('the limiter on Redis', () => {
  const redis = new Redis(testEnv().redisUrl);
  let n = 0;
  let prefix: string;

  /** A limiter with its own keys, so that no test sees another's batches. */
  function limiter(overrides: Partial<RateLimitConfig> = {}): RateLimiter {
    const config: RateLimitConfig = {
      high: 8,
      normal: 5,
      low: 2,
      providerMaxMps: 10,
      providerCeilings: { simulated: 0, twilio: 0, smpp: 0 },
      floor: 0.1,
      backpressure: BACKPRESSURE,
      ...overrides,
    };
    prefix = `${testEnv().redisPrefix}-limiter-${++n}`;
    return new RateLimiter(redis, config, { url: testEnv().redisUrl, prefix });
  }

  afterEach(() => deleteKeys(testEnv().redisUrl, prefix));
  afterAll(() => redis.quit());

  it.each<[string, number, [number, number, number]]>([
    ['one of each under 10', 10, [1, 1, 1]],
    ['one of each under 30', 30, [1, 1, 1]],
    ['two normal under 5', 5, [0, 2, 0]],
    ['three high, two low under 20', 20, [3, 0, 2]],
    ['floors above the ceiling', 1, [5, 5, 5]],
  ])('shares the ceiling as allot() does: %s', async (_name, ceiling, [high, normal, low]) => {
    const l = limiter({ providerMaxMps: ceiling });
    const batches: [string, Priority][] = [
      ...Array.from({ length: high }, (_, i) => [`h${i}`, 'high'] as [string, Priority]),
      ...Array.from({ length: normal }, (_, i) => [`n${i}`, 'normal'] as [string, Priority]),
      ...Array.from({ length: low }, (_, i) => [`l${i}`, 'low'] as [string, Priority]),
    ];
    for (const [id, tier] of batches) await l.acquire(id, tier, sim(1));
    const expected = allot(
      { high, normal, low },
      { rates: { high: 8, normal: 5, low: 2 }, ceiling, floor: 0.1 },
    );
    for (const [id, tier] of batches) {
      expect(await l.allottedRate(id, tier, 'simulated')).toBeCloseTo(expected[tier], 2);
    }
  });

  it('a rate-limit answer pauses every batch for Retry-After, then sends resume without a burst', async () => {
    const l = limiter({ providerMaxMps: 0, high: 100 });
    expect((await l.acquire('a', 'high', sim(1))).count).toBe(1);
    const { pausedMs } = await l.throttled('simulated', 800);
    expect(pausedMs).toBeGreaterThan(790);
    const paused = await l.acquire('b', 'normal', sim(5));
    expect(paused.count).toBe(0);
    expect(paused.waitMs).toBeGreaterThan(700);
    expect(paused.waitMs).toBeLessThanOrEqual(800);
    await sleep(paused.waitMs + 5);
    // The ceiling was cut to half of what the running batches asked for (100 + 5): permits come
    // one at a time again, spaced by the lowered rate.
    const after = await l.acquire('a', 'high', sim(20));
    expect(after.count).toBeGreaterThanOrEqual(1);
    expect(after.count).toBeLessThanOrEqual(3);
  });

  it('cuts the effective ceiling once per pause and lets it recover by RATE_LIMIT_RECOVERY_MPS', async () => {
    const l = limiter({ providerMaxMps: 10, backpressure: { ...BACKPRESSURE, recoveryMps: 2 } });
    await l.acquire('h', 'high', sim(1));
    const first = await l.throttled('simulated', 300);
    expect(first.ceiling).toBeCloseTo(5, 1);
    // An answer to a call that was already in flight: the same pause, no second cut.
    const second = await l.throttled('simulated', 300);
    expect(second.ceiling).toBeCloseTo(5, 1);
    expect(await l.allottedRate('h', 'high', 'simulated')).toBeCloseTo(5, 1);
    await sleep(1_000);
    // 1 s later: 5 + 2 = 7 (give or take the time the calls took).
    const recovered = await l.allottedRate('h', 'high', 'simulated');
    expect(recovered).toBeGreaterThan(6.8);
    expect(recovered).toBeLessThan(7.5);
  });

  it('without Retry-After the pause grows with each answer in a row', async () => {
    const l = limiter({ backpressure: { ...BACKPRESSURE, backoffBaseMs: 200 } });
    const pauses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { pausedMs } = await l.throttled('simulated', undefined);
      pauses.push(pausedMs);
    }
    // Equal jitter: 100-200 ms, then the pause is extended to at least 200-400 and 400-800 ms
    // from now; each answer adds what is missing.
    expect(pauses[0]).toBeGreaterThanOrEqual(100);
    expect(pauses[0]).toBeLessThanOrEqual(200);
    expect(pauses.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(400);
  });

  it('spaces sends as the provider reports little left, and pauses when nothing is', async () => {
    const l = limiter({ providerMaxMps: 0, high: 100 });
    await l.reported('simulated', { limit: 10, remaining: 1, resetMs: 500 });
    // 1 left for 0.5 s: the next send waits until then, and only one is granted at a time.
    const spaced = await l.acquire('h', 'high', sim(5));
    expect(spaced.count).toBe(0);
    expect(spaced.waitMs).toBeGreaterThan(400);
    await sleep(spaced.waitMs + 5);
    expect((await l.acquire('h', 'high', sim(5))).count).toBe(1);
    await l.reported('simulated', { limit: 10, remaining: 9, resetMs: 500 });
    await sleep(100);
    expect((await l.acquire('h', 'high', sim(5))).count).toBeGreaterThan(1);
    await l.reported('simulated', { limit: 10, remaining: 0, resetMs: 400 });
    const paused = await l.acquire('h', 'high', sim(1));
    expect(paused.count).toBe(0);
    expect(paused.waitMs).toBeGreaterThan(300);
  });
});

// The limiter's Lua scripts on a real Redis, against the pure code they mirror (allotment.ts,
// backpressure.ts): shares of the ceilings (global and per provider), every 1-second window of
// granted permits, pauses per provider, the AIMD ceiling and reported limits.
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Priority } from '../src/rate-limit/tier-rates';
import type { RateLimitConfig, SmsProviderName } from '../src/config/configuration';
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

interface Grant {
  provider: SmsProviderName;
  atMs: number;
  segments: number;
}

/**
 * One batch asking for permits as dispatch does, for `forMs`: each ask wants the next `perAsk`
 * messages of `pattern` (segment counts, repeated), and what it is granted is recorded.
 */
async function send(
  l: RateLimiter,
  batchId: string,
  priority: Priority,
  provider: SmsProviderName,
  pattern: number[],
  forMs: number,
  grants: Grant[],
  perAsk = 4,
): Promise<void> {
  const end = Date.now() + forMs;
  let sent = 0;
  while (Date.now() < end) {
    const segments = Array.from({ length: perAsk }, (_, i) => pattern[(sent + i) % pattern.length]);
    const permits = await l.acquire(batchId, priority, { provider, segments });
    for (let i = 0; i < permits.count; i++) {
      grants.push({ provider, atMs: permits.atMs[i], segments: segments[i] });
    }
    sent += permits.count;
    // A batch at its floor may be told to wait seconds; the run ends on time all the same.
    const waitMs = permits.count ? Math.max(...permits.delaysMs, 1) : permits.waitMs;
    await sleep(Math.max(1, Math.min(waitMs, end - Date.now())));
  }
}

/** The most any half-open 1-second window of grant times holds, summing `weight`. */
function busiestWindow(grants: Grant[], weight: (grant: Grant) => number): number {
  const sorted = [...grants].sort((a, b) => a.atMs - b.atMs);
  let most = 0;
  for (const [i, first] of sorted.entries()) {
    let sum = 0;
    for (const g of sorted.slice(i)) if (g.atMs < first.atMs + 1000) sum += weight(g);
    most = Math.max(most, sum);
  }
  return most;
}

const segmentsOf = (grant: Grant) => grant.segments;
const total = (grants: Grant[], weight: (grant: Grant) => number) =>
  grants.reduce((sum, g) => sum + weight(g), 0);

/** `count` one-segment messages to the simulated provider. */
function sim(count: number): PermitScope {
  return { provider: 'simulated', segments: Array<number>(count).fill(1) };
}

describe('the limiter on Redis', () => {
  const redis = new Redis(testEnv().redisUrl);
  let n = 0;
  let prefix: string;

  /** A limiter with its own keys, so that no test sees another's batches. */
  function limiter(
    overrides: Partial<Omit<RateLimitConfig, 'providerCeilings'>> & {
      providerCeilings?: Partial<RateLimitConfig['providerCeilings']>;
    } = {},
  ): RateLimiter {
    const config: RateLimitConfig = {
      high: 8,
      normal: 5,
      low: 2,
      providerMaxMps: 10,
      floor: 0.1,
      backpressure: BACKPRESSURE,
      ...overrides,
      providerCeilings: { simulated: 0, twilio: 0, smpp: 0, ...overrides.providerCeilings },
    };
    prefix = `${testEnv().redisPrefix}-limiter-${++n}`;
    return new RateLimiter(redis, config, {
      url: testEnv().redisUrl,
      prefix,
      commandTimeoutMs: 2_000,
    });
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
  describe('per-provider ceilings', () => {
    it('hold a provider to its ceiling in segments in every 1-second window, across batches and mixed lengths', async () => {
      const l = limiter({
        providerMaxMps: 0,
        high: 20,
        normal: 20,
        low: 20,
        providerCeilings: { twilio: 10 },
      });
      const grants: Grant[] = [];
      await Promise.all([
        send(l, 'one', 'high', 'twilio', [1], 2_500, grants),
        send(l, 'mixed', 'normal', 'twilio', [2, 3, 1], 2_500, grants),
        send(l, 'long', 'low', 'twilio', [4], 2_500, grants),
      ]);
      expect(busiestWindow(grants, segmentsOf)).toBeLessThanOrEqual(10);
      // The ceiling, not something slower, is what held them: about 10 segments a second.
      expect(total(grants, segmentsOf)).toBeGreaterThanOrEqual(18);
      expect(new Set(grants.map((g) => g.segments))).toEqual(new Set([1, 2, 3, 4]));
    });

    it("keep two providers' ceilings apart while PROVIDER_MAX_MPS caps their sum", async () => {
      const l = limiter({ providerMaxMps: 8, high: 20, providerCeilings: { twilio: 2, smpp: 30 } });
      const grants: Grant[] = [];
      await Promise.all([
        send(l, 't', 'high', 'twilio', [1], 2_500, grants),
        send(l, 's1', 'high', 'smpp', [1], 2_500, grants),
        send(l, 's2', 'high', 'smpp', [2], 2_500, grants),
      ]);
      const at = (provider: SmsProviderName) => grants.filter((g) => g.provider === provider);
      expect(busiestWindow(at('twilio'), segmentsOf)).toBeLessThanOrEqual(2);
      expect(busiestWindow(grants, () => 1)).toBeLessThanOrEqual(8);
      // Twilio's low ceiling does not hold smpp back, whose 2-segment messages count as one
      // message each against PROVIDER_MAX_MPS.
      expect(at('smpp').length).toBeGreaterThan(at('twilio').length * 1.5);
      expect(grants.length).toBeGreaterThanOrEqual(12);
    });

    it("limits a batch sending to two providers by each for its messages there, and by its tier's rate overall", async () => {
      const l = limiter({ providerMaxMps: 0, high: 20, providerCeilings: { twilio: 2 } });
      const grants: Grant[] = [];
      await Promise.all([
        send(l, 'b', 'high', 'twilio', [1], 2_500, grants),
        send(l, 'b', 'high', 'smpp', [1], 2_500, grants),
      ]);
      const at = (provider: SmsProviderName) => grants.filter((g) => g.provider === provider);
      expect(busiestWindow(at('twilio'), segmentsOf)).toBeLessThanOrEqual(2);
      // Twilio's slow share does not hold back the batch's messages to smpp...
      expect(at('smpp').length).toBeGreaterThanOrEqual(25);
      // ...and both together keep the batch's tier rate.
      expect(busiestWindow(grants, () => 1)).toBeLessThanOrEqual(20);
    });

    it("a rate-limit answer from one provider pauses and slows only that provider's batches", async () => {
      const l = limiter({ providerMaxMps: 0, high: 10 });
      await l.acquire('t', 'high', { provider: 'twilio', segments: [1] });
      await l.acquire('s', 'high', { provider: 'smpp', segments: [1] });
      const { pausedMs, ceiling } = await l.throttled('twilio', 800);
      expect(pausedMs).toBeGreaterThan(790);
      expect(ceiling).toBeCloseTo(5, 1);
      // Past both batches' next slot (10 per second): only the pause can hold one back now.
      await sleep(150);
      const twilio = await l.acquire('t', 'high', { provider: 'twilio', segments: [1, 1] });
      expect(twilio.count).toBe(0);
      expect(twilio.waitMs).toBeGreaterThan(550);
      const smpp = await l.acquire('s', 'high', { provider: 'smpp', segments: [1, 1] });
      expect(smpp.count).toBeGreaterThanOrEqual(1);
      expect(await l.allottedRate('s', 'high', 'smpp')).toBeCloseTo(10, 1);
      expect(await l.allottedRate('t', 'high', 'twilio')).toBeCloseTo(5, 1);
    });

    it('grants a message longer than the ceiling a whole window to itself', async () => {
      const l = limiter({ providerMaxMps: 0, high: 20, providerCeilings: { twilio: 3 } });
      const first = await l.acquire('long', 'high', { provider: 'twilio', segments: [5, 1] });
      expect(first.count).toBe(1);
      const grants: Grant[] = [];
      await send(l, 'long', 'high', 'twilio', [1], 1_300, grants);
      expect(grants.length).toBeGreaterThanOrEqual(1);
      expect(grants[0].atMs - first.atMs[0]).toBeGreaterThanOrEqual(1_000);
    });

    it('grants a long message while other batches keep the provider busy, in a window of its own', async () => {
      const l = limiter({ providerMaxMps: 0, high: 20, low: 20, providerCeilings: { twilio: 3 } });
      const short: Grant[] = [];
      const long: Grant[] = [];
      const busy = send(l, 'short', 'high', 'twilio', [1], 3_500, short);
      await sleep(300);
      const end = Date.now() + 3_000;
      while (!long.length && Date.now() < end) {
        const permits = await l.acquire('long', 'low', { provider: 'twilio', segments: [5] });
        if (permits.count) long.push({ provider: 'twilio', atMs: permits.atMs[0], segments: 5 });
        else await sleep(Math.min(permits.waitMs, 200));
      }
      await busy;
      expect(long).toHaveLength(1);
      // No window holding it holds anything else.
      for (const g of short) expect(Math.abs(g.atMs - long[0].atMs)).toBeGreaterThanOrEqual(1_000);
      expect(busiestWindow(short, segmentsOf)).toBeLessThanOrEqual(3);
    });

    it('shares a tight provider ceiling high tier first', async () => {
      const l = limiter({ providerMaxMps: 0, high: 8, low: 8, providerCeilings: { twilio: 10 } });
      const grants: (Grant & { batch: string })[] = [];
      const high: Grant[] = [];
      const low: Grant[] = [];
      await Promise.all([
        send(l, 'high', 'high', 'twilio', [2], 2_500, high),
        send(l, 'low', 'low', 'twilio', [2], 2_500, low),
      ]);
      grants.push(
        ...high.map((g) => ({ ...g, batch: 'high' })),
        ...low.map((g) => ({ ...g, batch: 'low' })),
      );
      // 10 segments of 2 are 5 messages a second: the low batch keeps its floor, high the rest.
      expect(busiestWindow(grants, segmentsOf)).toBeLessThanOrEqual(10);
      expect(high.length).toBeGreaterThan(low.length * 3);
      expect(low.length).toBeGreaterThanOrEqual(1);
      expect(await l.allottedRate('high', 'high', 'twilio')).toBeCloseTo(4.9, 1);
      expect(await l.allottedRate('low', 'low', 'twilio')).toBeCloseTo(0.1, 2);
    });
  });
});

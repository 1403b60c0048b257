import { sumCalls, type CallObservation } from './call-stats';
import { bucketOf } from './histogram';

const call = (overrides: Partial<CallObservation>): CallObservation => ({
  batchId: 'a',
  waitMs: 10,
  latencyMs: 20,
  throttle: null,
  rateLimit: null,
  ...overrides,
});

describe('sumCalls', () => {
  it('sums per batch: throttles, pauses, the last signals, the longest wait and histograms', () => {
    const stats = sumCalls([
      call({ waitMs: 5 }),
      call({ throttle: { pausedMs: 1_000, retryAfterMs: 1_000 }, waitMs: 300 }),
      call({ throttle: { pausedMs: 0, retryAfterMs: null } }),
      call({ rateLimit: { limit: 5, remaining: 1, resetMs: 400 } }),
      call({ batchId: 'b', latencyMs: 900 }),
    ]);
    expect(stats.get('a')).toMatchObject({
      throttleEvents: 2,
      pausedMs: 1_000,
      lastRetryAfterMs: 1_000,
      lastRateLimit: { limit: 5, remaining: 1, resetMs: 400 },
      waitMaxMs: 300,
    });
    expect(stats.get('a')!.waitHistogram.reduce((s, n) => s + n, 0)).toBe(4);
    expect(stats.get('a')!.waitHistogram[bucketOf(300)]).toBe(1);
    expect(stats.get('b')!.latencyHistogram[bucketOf(900)]).toBe(1);
    expect(stats.get('b')!.throttleEvents).toBe(0);
  });
});

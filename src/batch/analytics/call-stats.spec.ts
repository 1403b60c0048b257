import { sumCalls, sumProviderCalls, type CallObservation } from './call-stats';
import { bucketOf } from './histogram';

const call = (overrides: Partial<CallObservation>): CallObservation => ({
  batchId: 'a',
  provider: 'simulated',
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

describe('sumProviderCalls', () => {
  it("sums per batch and provider: every call's latency, sends and failures only of written results", () => {
    const stats = sumProviderCalls([
      { call: call({ provider: 'twilio', latencyMs: 100 }), written: 'sent' },
      { call: call({ provider: 'twilio', latencyMs: 100 }), written: 'sent' },
      // A stale result: its call took time at the provider, but it sent nothing of ours.
      { call: call({ provider: 'twilio', latencyMs: 5_000 }), written: null },
      { call: call({ provider: 'smpp' }), written: 'failed' },
      { call: call({ batchId: 'b', provider: 'smpp' }), written: 'sent' },
    ]);
    expect(
      stats.map(({ batchId, provider, sent, failed }) => [batchId, provider, sent, failed]),
    ).toEqual([
      ['a', 'smpp', 0, 1],
      ['a', 'twilio', 2, 0],
      ['b', 'smpp', 1, 0],
    ]);
    const twilio = stats[1].latencyHistogram;
    expect(twilio[bucketOf(100)]).toBe(2);
    expect(twilio[bucketOf(5_000)]).toBe(1);
    expect(twilio.reduce((s, n) => s + n, 0)).toBe(3);
  });
});

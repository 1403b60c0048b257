import { deliveryStats, type ReceiptCountRow } from './delivery-stats';
import { bucketOf, DELIVERY_BUCKET_BOUNDS_MS, emptyHistogram } from './histogram';

/** The histogram the receipt writer would keep for these latencies, as pg returns it (bigint as text). */
function histogramOf(latenciesMs: number[]): string[] {
  const histogram = emptyHistogram(DELIVERY_BUCKET_BOUNDS_MS);
  for (const ms of latenciesMs) histogram[bucketOf(ms, DELIVERY_BUCKET_BOUNDS_MS)]++;
  return histogram.map(String);
}

const times = (n: number, ms: number) => Array.from({ length: n }, () => ms);
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

describe('deliveryStats: the delivery latency', () => {
  it.each([
    ['no receipt yet (the column is still {})', []],
    ['a histogram of zeros', emptyHistogram(DELIVERY_BUCKET_BOUNDS_MS).map(String)],
  ])('has no percentiles with %s', (_case, histogram) => {
    expect(deliveryStats(histogram, []).latencyMs).toEqual({ p50: null, p95: null, p99: null });
  });

  it.each([
    // latencies, p50, p95, p99: each the upper bound of the bucket holding that rank.
    ['one receipt after 200 ms', [200], 232, 232, 232],
    ['98 quick, 2 after a minute', [...times(98, 200), ...times(2, 60_000)], 232, 232, 61_694],
    ['half at 0 ms, half at 1 ms', [...times(50, 0), ...times(50, 1)], 0, 1, 1],
    ['one after more than a week', [2 * WEEK], 580_184_405, 580_184_405, 580_184_405],
  ])('reads %s', (_case, latencies, p50, p95, p99) => {
    expect(deliveryStats(histogramOf(latencies), []).latencyMs).toEqual({ p50, p95, p99 });
  });

  it.each([
    ['milliseconds', 1, 1000],
    ['seconds to minutes', 1000, 600_000],
    ['hours to days', HOUR, 6 * 24 * HOUR],
  ])('reads percentiles over %s within a quarter above the true value', (_case, low, high) => {
    const step = (high - low) / 999;
    const latencies = Array.from({ length: 1000 }, (_, i) => Math.round(low + i * step));
    const { latencyMs } = deliveryStats(histogramOf(latencies), []);
    for (const [p, value] of [
      [0.5, latencyMs.p50],
      [0.95, latencyMs.p95],
      [0.99, latencyMs.p99],
    ] as const) {
      const exact = latencies[Math.ceil(p * latencies.length) - 1];
      expect(value).toBeGreaterThanOrEqual(exact);
      expect(value).toBeLessThanOrEqual(Math.max(exact * 1.25, exact + 1));
    }
  });
});

describe('deliveryStats: receipts per status and per category', () => {
  const rows: ReceiptCountRow[] = [
    { status: 'sent', category: '', count: '10' },
    { status: 'delivered', category: '', count: '7' },
    { status: 'undelivered', category: 'unreachable', count: '2' },
    { status: 'undelivered', category: 'invalid_number', count: '1' },
    { status: 'failed', category: 'unreachable', count: '1' },
    { status: 'failed', category: 'content_rejected', count: '1' },
  ];

  it('sums each status over its categories, most first, ties by name', () => {
    expect(deliveryStats([], rows).receiptsByStatus).toEqual([
      { status: 'sent', count: 10 },
      { status: 'delivered', count: 7 },
      { status: 'undelivered', count: 3 },
      { status: 'failed', count: 2 },
    ]);
  });

  it('sums each category over its statuses, leaving out receipts without one', () => {
    expect(deliveryStats([], rows).receiptsByCategory).toEqual([
      { category: 'unreachable', count: 3 },
      { category: 'content_rejected', count: 1 },
      { category: 'invalid_number', count: 1 },
    ]);
  });

  it('lists nothing before the first receipt', () => {
    expect(deliveryStats([], [])).toEqual({
      latencyMs: { p50: null, p95: null, p99: null },
      receiptsByStatus: [],
      receiptsByCategory: [],
    });
  });

  it('reads counts past 2^31 (bigint comes back as text)', () => {
    const big = [{ status: 'delivered', category: '', count: '3000000000' }];
    expect(deliveryStats([], big).receiptsByStatus).toEqual([
      { status: 'delivered', count: 3_000_000_000 },
    ]);
  });
});

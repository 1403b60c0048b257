import {
  BUCKET_BOUNDS_MS,
  bucketOf,
  DELIVERY_BUCKET_BOUNDS_MS,
  emptyHistogram,
  quantile,
} from './histogram';

describe('histogram', () => {
  it('has increasing bounds from 0 to past 2 minutes, each at most a quarter above the last', () => {
    expect(BUCKET_BOUNDS_MS[0]).toBe(0);
    expect(BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.length - 1]).toBe(Infinity);
    for (let i = 2; i < BUCKET_BOUNDS_MS.length - 1; i++) {
      expect(BUCKET_BOUNDS_MS[i]).toBeGreaterThan(BUCKET_BOUNDS_MS[i - 1]);
      expect(BUCKET_BOUNDS_MS[i]).toBeLessThanOrEqual(Math.ceil(BUCKET_BOUNDS_MS[i - 1] * 1.25));
    }
  });

  it.each([
    [0, 0],
    [0.4, 1],
    [1, 1],
    [125, 125],
    [1e9, BUCKET_BOUNDS_MS.length - 1],
  ])('%d ms falls in a bucket whose bound is at least it', (ms, expectedIndexOrBound) => {
    const i = bucketOf(ms);
    expect(BUCKET_BOUNDS_MS[i]).toBeGreaterThanOrEqual(ms);
    if (i > 0) expect(BUCKET_BOUNDS_MS[i - 1]).toBeLessThan(ms);
    if (ms === 1e9) expect(i).toBe(expectedIndexOrBound);
  });

  it('reads quantiles within a quarter of the true value', () => {
    const histogram = emptyHistogram();
    const values = Array.from({ length: 1000 }, (_, i) => i + 1); // 1..1000 ms
    for (const v of values) histogram[bucketOf(v)]++;
    for (const [p, exact] of [
      [0.5, 500],
      [0.95, 950],
      [0.99, 990],
    ] as const) {
      const q = quantile(histogram, p)!;
      expect(q).toBeGreaterThanOrEqual(exact);
      expect(q).toBeLessThanOrEqual(exact * 1.25);
    }
    expect(quantile(emptyHistogram(), 0.5)).toBeNull();
  });
});

describe('the delivery latency histogram', () => {
  const bounds = DELIVERY_BUCKET_BOUNDS_MS;

  it('has increasing bounds from 0 to about a week, each at most a quarter above the last', () => {
    expect(bounds[0]).toBe(0);
    expect(bounds[bounds.length - 1]).toBe(Infinity);
    // The last finite bound is within a quarter below a week: the next step would pass it.
    expect(bounds[bounds.length - 2]).toBeLessThan(7 * 24 * 3_600_000);
    expect(bounds[bounds.length - 2] * 1.25).toBeGreaterThanOrEqual(7 * 24 * 3_600_000);
    for (let i = 2; i < bounds.length - 1; i++) {
      expect(bounds[i]).toBeGreaterThan(bounds[i - 1]);
      expect(bounds[i]).toBeLessThanOrEqual(Math.ceil(bounds[i - 1] * 1.25));
    }
  });

  it('starts like the latency histogram: a receipt and a provider answer of equal time share a bound', () => {
    for (let i = 0; i < BUCKET_BOUNDS_MS.length - 1; i++)
      expect(bounds[i]).toBe(BUCKET_BOUNDS_MS[i]);
  });

  it.each([0, 1, 200, 60_000, 3_600_000, 72 * 3_600_000])(
    '%d ms falls in the bucket whose bound is the first at least it',
    (ms) => {
      const i = bucketOf(ms, bounds);
      expect(bounds[i]).toBeGreaterThanOrEqual(ms);
      if (i > 0) expect(bounds[i - 1]).toBeLessThan(ms);
    },
  );

  it('reports a latency past its last bound as that bound (the open bucket has no upper one)', () => {
    const histogram = emptyHistogram(bounds);
    histogram[bucketOf(30 * 24 * 3_600_000, bounds)] = 1;
    expect(bucketOf(30 * 24 * 3_600_000, bounds)).toBe(bounds.length - 1);
    expect(quantile(histogram, 0.5, bounds)).toBe(bounds[bounds.length - 2]);
  });
});

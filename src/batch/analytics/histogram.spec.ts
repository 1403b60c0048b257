import { BUCKET_BOUNDS_MS, bucketOf, emptyHistogram, quantile } from './histogram';

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

// Fixed histogram buckets for durations in ms: 0, then upper bounds growing by a quarter from 1 ms
// to about 2 minutes, then everything longer. Aggregated as results are written and added up
// bucket by bucket in PostgreSQL, so a percentile never needs the raw values.

export const BUCKET_BOUNDS_MS: readonly number[] = (() => {
  const bounds = [0];
  for (let bound = 1; bound < 120_000; bound = Math.ceil(bound * 1.25)) bounds.push(bound);
  bounds.push(Infinity);
  return bounds;
})();

export function emptyHistogram(): number[] {
  return BUCKET_BOUNDS_MS.map(() => 0);
}

/** The bucket of `ms`: the first whose upper bound is at least it. */
export function bucketOf(ms: number): number {
  let low = 0;
  let high = BUCKET_BOUNDS_MS.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (BUCKET_BOUNDS_MS[mid] >= ms) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The `p` quantile (0..1) as its bucket's upper bound (at most 25% above the true value), or
 * null when the histogram is empty. The last, open bucket reports the bound below it.
 */
export function quantile(histogram: readonly number[], p: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank)
      return Number.isFinite(BUCKET_BOUNDS_MS[i]) ? BUCKET_BOUNDS_MS[i] : BUCKET_BOUNDS_MS[i - 1];
  }
  return null;
}

// Fixed histogram buckets for durations in ms: 0, then upper bounds growing by a quarter from 1 ms
// to a ceiling, then everything longer. Aggregated as results (or receipts) are written and added
// up bucket by bucket in PostgreSQL, so a percentile never needs the raw values. The array index of
// a histogram is its bucket.

function boundsUpTo(ceilingMs: number): readonly number[] {
  const bounds = [0];
  for (let bound = 1; bound < ceilingMs; bound = Math.ceil(bound * 1.25)) bounds.push(bound);
  bounds.push(Infinity);
  return bounds;
}

/** The limiter's wait and the provider's latency: up to about 2 minutes. */
export const BUCKET_BOUNDS_MS: readonly number[] = boundsUpTo(120_000);

/** Delivery latency (acceptance to final receipt): up to about a week. */
export const DELIVERY_BUCKET_BOUNDS_MS: readonly number[] = boundsUpTo(7 * 24 * 3_600_000);

export function emptyHistogram(bounds: readonly number[] = BUCKET_BOUNDS_MS): number[] {
  return bounds.map(() => 0);
}

/** The bucket of `ms`: the first whose upper bound is at least it. */
export function bucketOf(ms: number, bounds: readonly number[] = BUCKET_BOUNDS_MS): number {
  let low = 0;
  let high = bounds.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (bounds[mid] >= ms) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The `p` quantile (0..1) as its bucket's upper bound (at most 25% above the true value), or
 * null when the histogram is empty. The last, open bucket reports the bound below it.
 */
export function quantile(
  histogram: readonly number[],
  p: number,
  bounds: readonly number[] = BUCKET_BOUNDS_MS,
): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return Number.isFinite(bounds[i]) ? bounds[i] : bounds[i - 1];
  }
  return null;
}

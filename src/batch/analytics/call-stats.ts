// One flush's provider calls, summed per batch for batch_rate_stats. Pure code.
import type { ProviderRateLimit } from '../../sms/sms-provider';
import { bucketOf, emptyHistogram } from './histogram';

/** What one provider call tells the analytics. */
export interface CallObservation {
  batchId: string;
  /** How long the message waited for its permit, ms. */
  waitMs: number;
  /** How long the provider took to answer (or the timeout), ms. */
  latencyMs: number;
  /** Set when the answer was "rate limited": how much longer it paused the provider scope. */
  throttle: { pausedMs: number; retryAfterMs: number | null } | null;
  /** The limits the provider reported with the answer, if any. */
  rateLimit: ProviderRateLimit | null;
}

export interface CallStats {
  throttleEvents: number;
  pausedMs: number;
  lastRetryAfterMs: number | null;
  lastRateLimit: ProviderRateLimit | null;
  waitMaxMs: number;
  waitHistogram: number[];
  latencyHistogram: number[];
}

/** Sums observations per batch; "last" fields keep the last observation that carried them. */
export function sumCalls(observations: readonly CallObservation[]): Map<string, CallStats> {
  const byBatch = new Map<string, CallStats>();
  for (const o of observations) {
    let stats = byBatch.get(o.batchId);
    if (!stats) {
      stats = {
        throttleEvents: 0,
        pausedMs: 0,
        lastRetryAfterMs: null,
        lastRateLimit: null,
        waitMaxMs: 0,
        waitHistogram: emptyHistogram(),
        latencyHistogram: emptyHistogram(),
      };
      byBatch.set(o.batchId, stats);
    }
    if (o.throttle) {
      stats.throttleEvents++;
      stats.pausedMs += o.throttle.pausedMs;
      if (o.throttle.retryAfterMs !== null) stats.lastRetryAfterMs = o.throttle.retryAfterMs;
    }
    if (o.rateLimit) stats.lastRateLimit = o.rateLimit;
    stats.waitMaxMs = Math.max(stats.waitMaxMs, Math.round(o.waitMs));
    stats.waitHistogram[bucketOf(o.waitMs)]++;
    stats.latencyHistogram[bucketOf(o.latencyMs)]++;
  }
  return byBatch;
}

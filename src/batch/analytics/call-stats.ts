// One flush's provider calls, summed per batch for batch_rate_stats and per (batch, provider) for
// batch_provider_stats. Pure code.
import type { SmsProviderName } from '../../config/configuration';
import type { ProviderRateLimit } from '../../sms/sms-provider';
import { bucketOf, emptyHistogram } from './histogram';

/** What one provider call tells the analytics. */
export interface CallObservation {
  batchId: string;
  /** The provider the call went to. */
  provider: SmsProviderName;
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

/** One batch's calls to one provider in a flush. */
export interface ProviderCallStats {
  batchId: string;
  provider: SmsProviderName;
  /** Messages its answers accepted, of the results written. */
  sent: number;
  /** Messages its answers failed for good, of the results written. */
  failed: number;
  latencyHistogram: number[];
}

/**
 * Sums observations per (batch, provider), in that key order (the order rows are upserted in):
 * every call's latency, but `sent` and `failed` only from `written`, what the result write made of
 * the call's message (null when it wrote nothing: a stale result, whose message another claim
 * holds, is a call but not a send).
 */
export function sumProviderCalls(
  calls: readonly { call: CallObservation; written: 'sent' | 'failed' | null }[],
): ProviderCallStats[] {
  const byKey = new Map<string, ProviderCallStats>();
  for (const { call, written } of calls) {
    const key = `${call.batchId}/${call.provider}`;
    let stats = byKey.get(key);
    if (!stats) {
      stats = {
        batchId: call.batchId,
        provider: call.provider,
        sent: 0,
        failed: 0,
        latencyHistogram: emptyHistogram(),
      };
      byKey.set(key, stats);
    }
    if (written) stats[written]++;
    stats.latencyHistogram[bucketOf(call.latencyMs)]++;
  }
  return [...byKey.values()].sort(
    (a, b) => a.batchId.localeCompare(b.batchId) || a.provider.localeCompare(b.provider),
  );
}

// Progress metrics derived from a batch's counters (README, "Rates"; docs/ARCHITECTURE.md, "Invariants"). Plain arithmetic.
import type { BatchStatus } from './entities/batch.entity';

/** messagesPerSecond looks this far back while a batch is processing. */
export const RATE_WINDOW_SECONDS = 10;

export interface Counters {
  completed: number;
  failed: number;
}

export function successRate({ completed, failed }: Counters): number {
  const final = completed + failed;
  return final === 0 ? 0 : completed / final;
}

export interface DeliveryCounters {
  delivered: number;
  undelivered: number;
}

/** Of the messages with a final receipt, the share delivered; null before the first. */
export function deliveryRate({ delivered, undelivered }: DeliveryCounters): number | null {
  const final = delivered + undelivered;
  return final === 0 ? null : delivered / final;
}

export interface RateInput {
  status: BatchStatus;
  completed: number;
  /** Time spent processing, pauses excluded, up to now. */
  processingMs: number;
  /** Messages accepted within the last RATE_WINDOW_SECONDS. */
  recentlyAccepted: number;
}

/** Accepted per second over the last `windowSeconds` of processing (all of it, if shorter). */
export function recentRate(
  recentlyAccepted: number,
  processingMs: number,
  windowSeconds = RATE_WINDOW_SECONDS,
): number {
  const seconds = processingMs / 1000;
  return seconds > 0 ? recentlyAccepted / Math.min(windowSeconds, seconds) : 0;
}

/** Accepted per second over the whole processing time, pauses excluded. */
export function averageRate(completed: number, processingMs: number): number {
  return processingMs > 0 ? completed / (processingMs / 1000) : 0;
}

/**
 * Accepted messages per second: while processing, over the last 10 s (or the time processed so far,
 * if shorter); 0 while paused or not started; once finished, the average over the processing time.
 */
export function messagesPerSecond({
  status,
  completed,
  processingMs,
  recentlyAccepted,
}: RateInput): number {
  switch (status) {
    case 'processing':
      return recentRate(recentlyAccepted, processingMs);
    case 'completed':
    case 'failed':
    case 'cancelled':
      return averageRate(completed, processingMs);
    case 'pending':
    case 'paused':
      return 0;
  }
}

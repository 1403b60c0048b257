// When a failed message is tried again: exponential backoff with full jitter, per category limits,
// the message's validity. Pure code; the clock and the randomness come in as arguments.
import { CATEGORY_POLICIES, isRetried, type Failure } from './error-taxonomy';

export interface RetrySettings {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts allowed, the first included. */
  maxAttempts: number;
  /** How long after its batch started (or was reopened) a message may still be sent. */
  validityMs: number;
}

export type RetryDecision =
  { action: 'retry'; delayMs: number } | { action: 'fail' } | { action: 'fail-batch' };

/** "Full jitter": a uniform delay in [0, min(max, base * 2^(n-1))) before retry n. */
export function backoffDelayMs(
  retry: number,
  { baseDelayMs, maxDelayMs }: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * What to do after a failed call. `attempts` counts the calls made so far that count as attempts,
 * this one included; `retryAfterMs` is the provider's advice, when it gave some.
 */
export function decideRetry(
  failure: Failure,
  attempts: number,
  settings: RetrySettings,
  timing: { nowMs: number; validFromMs: number; retryAfterMs?: number },
  random: () => number = Math.random,
): RetryDecision {
  const policy = CATEGORY_POLICIES[failure.category];
  if (policy.failsBatch) return { action: 'fail-batch' };
  if (!isRetried(failure)) return { action: 'fail' };
  const limit = Math.min(settings.maxAttempts, policy.maxAttempts ?? Infinity);
  if (policy.countsAsAttempt && attempts >= limit) return { action: 'fail' };
  const delayMs = Math.max(
    timing.retryAfterMs ?? 0,
    backoffDelayMs(Math.max(1, attempts), settings, random),
  );
  if (timing.nowMs + delayMs > timing.validFromMs + settings.validityMs) return { action: 'fail' };
  return { action: 'retry', delayMs };
}

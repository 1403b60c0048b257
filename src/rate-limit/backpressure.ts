// How Salvo backs off when the provider says "too many" (README, "Rates"): the provider
// scope pauses for the advised time, and the effective ceiling drops and recovers (additive
// increase, multiplicative decrease). Pure code; THROTTLE_LUA and REPORT_LUA run the same rules.
import type { ProviderRateLimit } from '../sms/sms-provider';

export interface BackpressureSettings {
  /** The effective ceiling is multiplied by this on a rate-limit answer (once per pause). */
  decrease: number;
  /** Messages per second regained each second afterwards. */
  recoveryMps: number;
  /** The effective ceiling never drops below this. */
  minimumMps: number;
  /** The pause without Retry-After grows from this... */
  backoffBaseMs: number;
  /** ...up to this. */
  backoffMaxMs: number;
}

/** The ceiling right after a rate-limit answer (the first of a pause). */
export function cutCeiling(
  ceiling: number,
  { decrease, minimumMps }: BackpressureSettings,
): number {
  return Math.max(minimumMps, ceiling * decrease);
}

/** A lowered ceiling `elapsedMs` later: it climbs back linearly and stops at its target. */
export function recoveredCeiling(
  lowered: number,
  elapsedMs: number,
  target: number,
  { recoveryMps }: BackpressureSettings,
): number {
  return Math.min(target, lowered + (recoveryMps * elapsedMs) / 1000);
}

/**
 * How long the provider scope pauses: the provider's Retry-After, else a backoff that doubles with
 * each answer in a row (the `consecutive`-th, from 1), with equal jitter: half of it for sure, so
 * that a pause is never close to nothing, and the other half at random.
 */
export function throttlePauseMs(
  retryAfterMs: number | undefined,
  consecutive: number,
  { backoffBaseMs, backoffMaxMs }: BackpressureSettings,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const cap = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (consecutive - 1));
  return Math.floor(cap / 2 + (random() * cap) / 2);
}

/** Reported limits with this share of the window or less left hold the rate to what is left. */
export const LOW_REMAINING_SHARE = 0.2;

export type ReportedLimit =
  { kind: 'none' } | { kind: 'space'; gapMs: number } | { kind: 'pause'; forMs: number };

/**
 * What a provider's reported limits (X-RateLimit-Limit, -Remaining, -Reset) ask of the limiter:
 * nothing while plenty is left; with little left, the next send waits its share of the time to
 * the reset (what is left, spread evenly until then); with nothing left, a pause until the reset.
 */
export function reportedLimit({ limit, remaining, resetMs }: ProviderRateLimit): ReportedLimit {
  if (!(resetMs > 0)) return { kind: 'none' };
  if (remaining <= 0) return { kind: 'pause', forMs: resetMs };
  if (remaining > Math.max(1, limit * LOW_REMAINING_SHARE)) return { kind: 'none' };
  return { kind: 'space', gapMs: resetMs / remaining };
}

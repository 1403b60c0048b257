// How a ceiling is shared by the running batches, globally (PROVIDER_MAX_MPS, messages) and at
// each provider (its ceiling, segments) (README, "Rates"). Pure code: the limiter's Lua script
// runs the same arithmetic (limiter.lua.ts), and this is its spec.
import type { Priority } from './tier-rates';
import { emissionIntervalUs } from './gcra';

/** Highest tier first: the order in which what is left of the ceiling is handed out. */
export const TIERS_BY_PRECEDENCE: readonly Priority[] = ['high', 'normal', 'low'];

export type PerTier = Readonly<Record<Priority, number>>;

export interface AllotmentSettings {
  /** Each tier's rate per batch, messages per second. */
  rates: PerTier;
  /** Messages per second for all running batches together; 0 = unlimited. */
  ceiling: number;
  /** What every running batch gets first, so that none starves. */
  floor: number;
}

/**
 * The rate each running batch of a tier may send at, given how many batches of each tier run.
 * Under the ceiling every batch gets its tier's rate. Over it, every batch first gets the floor
 * (or an even share of the ceiling when the floors alone exceed it); what remains goes to the
 * highest tier first, up to its rate, and is shared evenly by the batches of one tier.
 */
export function allot(running: PerTier, { rates, ceiling, floor }: AllotmentSettings): PerTier {
  const total = running.high + running.normal + running.low;
  const demand = TIERS_BY_PRECEDENCE.reduce((sum, t) => sum + running[t] * rates[t], 0);
  if (ceiling <= 0 || total === 0 || demand <= ceiling) return rates;
  const floors = perTier((t) => Math.min(floor, rates[t]));
  const floorsTotal = TIERS_BY_PRECEDENCE.reduce((sum, t) => sum + running[t] * floors[t], 0);
  if (floorsTotal >= ceiling) return perTier((t) => Math.min(rates[t], ceiling / total));
  let left = ceiling - floorsTotal;
  const allotted = { ...floors };
  for (const tier of TIERS_BY_PRECEDENCE) {
    if (!running[tier]) continue;
    const wanted = running[tier] * (rates[tier] - floors[tier]);
    const given = Math.min(wanted, left);
    allotted[tier] = floors[tier] + given / running[tier];
    left -= given;
  }
  return allotted;
}

function perTier(rate: (tier: Priority) => number): Record<Priority, number> {
  return { high: rate('high'), normal: rate('normal'), low: rate('low') };
}

/**
 * Units (permits globally, segments at a provider) one tier may have in any 1-second window under
 * a ceiling of `limit` units per window, so that higher tiers are never held back by lower ones.
 * Each tier reserves what its running batches can take in one window at their allotted rates
 * (their permits are spaced by whole milliseconds, see gcra.ts) times `unit` units per permit,
 * leaving at least one permit's units per running batch below it. A permit of tier T is allowed
 * when, for T and every tier above it, the units in the window of that tier and the tiers below
 * stay under its budget (fitsWindow): `budgets[U] = limit - reserves of the tiers above U`.
 */
export function windowBudgets(
  running: PerTier,
  allotted: PerTier,
  limit: number,
  unit = 1,
): { reserves: PerTier; budgets: PerTier } {
  const reserves = { high: 0, normal: 0, low: 0 };
  const budgets = { high: 0, normal: 0, low: 0 };
  let reserved = 0;
  TIERS_BY_PRECEDENCE.forEach((tier, i) => {
    budgets[tier] = limit - reserved;
    const below = TIERS_BY_PRECEDENCE.slice(i + 1).reduce((sum, t) => sum + running[t], 0);
    const perWindow = Math.ceil(1_000_000 / emissionIntervalUs(allotted[tier]));
    reserves[tier] = Math.max(
      0,
      Math.min(running[tier] * perWindow * unit, limit - reserved - below * unit),
    );
    reserved += reserves[tier];
  });
  return { reserves, budgets };
}

/**
 * Whether a permit of `units` fits a window that already holds `used` of a budget. An empty window
 * takes one permit whatever its size: a message longer than its provider's ceiling then has a
 * whole window to itself instead of waiting forever.
 */
export function fitsWindow(used: number, units: number, budget: number): boolean {
  return used === 0 || used + units <= budget;
}

/**
 * Whether a permit the window has no room for holds the provider until the window is empty:
 * only one longer than the whole ceiling, which no busy window can ever take.
 */
export function holdsProvider(units: number, limit: number): boolean {
  return units > limit;
}

/** Segments per message of one ask (its messages' average), the provider scope's unit. */
export function segmentsPerMessage(segments: readonly number[]): number {
  if (!segments.length) return 1;
  return segments.reduce((sum, count) => sum + Math.max(1, count), 0) / segments.length;
}

export interface ScopedSettings {
  rates: PerTier;
  floor: number;
  /** PROVIDER_MAX_MPS: messages per second for every batch; 0 = none. */
  globalCeiling: number;
  /** The provider's effective ceiling, segments per second; 0 = none. */
  providerCeiling: number;
  /** Segments per message, taken for every batch at the provider (an approximation). */
  segmentsPerMessage: number;
}

/**
 * The rate (messages per second) each tier's batches may send at to one provider: the smaller of
 * their share of the global ceiling among every running batch and of the provider's ceiling, in
 * messages, among the batches sending there. Both ceilings count whole units per window.
 */
export function scopedRates(
  runningGlobally: PerTier,
  runningAtProvider: PerTier,
  { rates, floor, globalCeiling, providerCeiling, segmentsPerMessage: spm }: ScopedSettings,
): PerTier {
  const whole = (ceiling: number) => (ceiling > 0 ? Math.max(1, Math.floor(ceiling)) : 0);
  const global = allot(runningGlobally, { rates, floor, ceiling: whole(globalCeiling) });
  const atProvider = allot(runningAtProvider, {
    rates,
    floor,
    ceiling: whole(providerCeiling) / spm,
  });
  return perTier((t) => Math.min(global[t], atProvider[t]));
}

// How the provider's ceiling is shared by the running batches (README, "Rates"). Pure
// code: the limiter's Lua script runs the same arithmetic (limiter.lua.ts), and this is its spec.
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
 * Permits one tier may have in any 1-second window under a ceiling of `limit` per window, so that
 * higher tiers are never held back by lower ones. Each tier reserves what its running batches can
 * take in one window at their allotted rates (their permits are spaced by whole milliseconds, see
 * gcra.ts), leaving at least one permit per running batch below it. A permit of tier T is allowed
 * when, for T and every tier above it, the permits in the window of that tier and the tiers below
 * stay under its budget: `budgets[U] = limit - reserves of the tiers above U`.
 */
export function windowBudgets(
  running: PerTier,
  allotted: PerTier,
  limit: number,
): { reserves: PerTier; budgets: PerTier } {
  const reserves = { high: 0, normal: 0, low: 0 };
  const budgets = { high: 0, normal: 0, low: 0 };
  let reserved = 0;
  TIERS_BY_PRECEDENCE.forEach((tier, i) => {
    budgets[tier] = limit - reserved;
    const below = TIERS_BY_PRECEDENCE.slice(i + 1).reduce((sum, t) => sum + running[t], 0);
    const perWindow = Math.ceil(1_000_000 / emissionIntervalUs(allotted[tier]));
    reserves[tier] = Math.max(0, Math.min(running[tier] * perWindow, limit - reserved - below));
    reserved += reserves[tier];
  });
  return { reserves, budgets };
}

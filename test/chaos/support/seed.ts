// CHAOS_SEED: every random choice of the fault suite (which worker, when within a window) comes
// from a generator seeded with it (one stream per scenario), so a run replays with the seed it
// printed.
import { randomInt } from 'node:crypto';

export interface Chaos {
  seed: number;
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/** The seed from CHAOS_SEED, or a fresh one; printed either way. */
export function seedFromEnv(): number {
  const given = process.env.CHAOS_SEED;
  const seed = given ? Number(given) : randomInt(1, 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw new Error(`CHAOS_SEED must be an integer, got ${given}`);
  console.log(`CHAOS_SEED=${seed} (replay: CHAOS_SEED=${seed} npm run test:chaos)`);
  return seed;
}

/**
 * One scenario's own stream of the run's seed: a scenario run alone (jest -t) draws what it drew
 * in the whole suite, whichever scenarios ran before it.
 */
export function scenarioChaos(seed: number, scenario: string): Chaos {
  // FNV-1a over "seed:scenario".
  let hash = 0x811c9dc5;
  for (const char of `${seed}:${scenario}`) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  }
  return { ...seeded(hash), seed };
}

/** mulberry32: small, fast, good enough to spread faults; the same seed gives the same run. */
export function seeded(seed: number): Chaos {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { seed, next, between, pick: (items) => items[between(0, items.length - 1)] };
}

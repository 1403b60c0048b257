// How long a bind waits before its next connection attempt.

export const FIRST_DELAY_MS = 250;
export const MAX_DELAY_MS = 30_000;
/** A bind up at least this long starts again from the first delay when it drops. */
export const STABLE_BIND_MS = 60_000;

/**
 * The wait before attempt `attempt` (0 for the first retry): doubling from 250 ms to at most 30 s,
 * then a random part of up to half taken off so that the binds of every worker, dropped together
 * by one SMSC restart, do not all come back in the same instant. `random` is in [0, 1).
 */
export function reconnectDelayMs(attempt: number, random: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling - (ceiling / 2) * random);
}

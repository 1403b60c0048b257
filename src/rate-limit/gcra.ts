// The generic cell rate algorithm with no burst, as the limiter runs it (in Lua, on Redis's clock):
// permits of one key are spaced at least one emission interval apart, so a batch never gets more
// than its rate in any 1-second window, however many workers ask.

/**
 * Microseconds between two permits at `rate` per second. Up to 1,000/s the interval is a whole
 * number of milliseconds, so permit times truncated to milliseconds (as `sentAt` stores them) keep
 * their spacing: any half-open 1,000 ms window holds at most `rate` of them.
 */
export function emissionIntervalUs(rate: number): number {
  if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
  return rate <= 1000 ? Math.ceil(1000 / rate) * 1000 : Math.ceil(1_000_000 / rate);
}

/** How far ahead permits may be handed out; the caller waits until each one's time. */
export const GCRA_HORIZON_US = 50_000;

export interface PermitDecision {
  /** When each granted permit may be used (µs); empty when the caller must wait. */
  timesUs: number[];
  /** When nothing was granted: how long to wait before asking again (µs). */
  waitUs: number;
  /** The key's new theoretical arrival time. */
  tatUs: number;
}

/**
 * One batch's decision, as ACQUIRE_LUA takes it before the provider's windows are checked:
 * permits spaced by the interval from the key's next slot, up to `want` and no further ahead than
 * the horizon. No burst: an idle key banks nothing.
 */
export function decidePermits(
  tatUs: number | null,
  nowUs: number,
  intervalUs: number,
  want: number,
  horizonUs = GCRA_HORIZON_US,
): PermitDecision {
  let tat = tatUs ?? 0;
  const timesUs: number[] = [];
  while (timesUs.length < want) {
    const at = Math.max(nowUs, tat);
    if (at > nowUs + horizonUs) break;
    timesUs.push(at);
    tat = at + intervalUs;
  }
  return { timesUs, waitUs: timesUs.length ? 0 : tat - horizonUs - nowUs, tatUs: tat };
}

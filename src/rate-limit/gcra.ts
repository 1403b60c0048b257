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

export interface GcraDecision {
  /** Permits granted, 0 when the caller must wait. */
  granted: number;
  /** Time of the first permit (µs, Redis clock); the others follow at `intervalUs` steps. */
  firstUs: number;
  /** When nothing was granted: how long to wait before asking again (µs). */
  waitUs: number;
  /** The key's new theoretical arrival time. */
  tatUs: number;
}

/** One decision, exactly as gcra.lua takes it (that script is the one that runs). */
export function gcraDecide(
  tatUs: number | null,
  nowUs: number,
  intervalUs: number,
  want: number,
  horizonUs = GCRA_HORIZON_US,
): GcraDecision {
  const start = Math.max(tatUs ?? 0, nowUs);
  const fits = Math.floor((nowUs + horizonUs - start) / intervalUs) + 1;
  if (fits < 1) {
    return { granted: 0, firstUs: start, waitUs: start - horizonUs - nowUs, tatUs: start };
  }
  const granted = Math.min(fits, want);
  return { granted, firstUs: start, waitUs: 0, tatUs: start + granted * intervalUs };
}

/** The same decision in Lua: KEYS[1] the key; ARGV interval µs, wanted permits, horizon µs. */
export const GCRA_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local fits = math.floor((now + horizon - start) / interval) + 1
if fits < 1 then
  return {0, start, start - horizon - now, now}
end
local granted = math.min(fits, want)
local newTat = start + granted * interval
redis.call('SET', KEYS[1], string.format('%.0f', newTat), 'PX', math.ceil((newTat - now) / 1000) + 1000)
return {granted, start, 0, now}
`;

// SMPP_MAX_MPS: the account's throughput at the SMSC, in submit_sm PDUs per second, shared by every
// worker process. Each PDU takes the next slot of one Redis key (the generic cell rate algorithm
// with no burst, on Redis's clock), so slots are at least 1/rate apart across the fleet: any
// 1-second window holds at most `rate` of them. The caller writes its PDU at its slot's time, and
// gives up a slot it reaches late (a busy event loop) rather than writing a burst of late ones.
import type Redis from 'ioredis';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Takes the next slot unless it is more than ARGV[2] µs away (then nothing is taken): answers the
 * wait in µs until the slot, or -1.
 */
const TAKE_SLOT_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(tat, now)
local wait = slot - now
if wait > tonumber(ARGV[2]) then return -1 end
redis.call('SET', KEYS[1], tostring(slot + tonumber(ARGV[1])), 'PX', 60000)
return wait
`;

/** Microseconds between two PDUs at `rate` per second (rounded up: never faster than the rate). */
export function slotIntervalUs(rate: number): number {
  if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
  return Math.ceil(1_000_000 / rate);
}

/** How late after its slot a PDU may still be written: at most one interval, and 2 ms. */
export function lateToleranceMs(intervalUs: number): number {
  return Math.min(2, intervalUs / 1000);
}

export class SmppThroughput {
  private readonly intervalUs: number;
  private readonly toleranceMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    rate: number,
  ) {
    this.intervalUs = slotIntervalUs(rate);
    this.toleranceMs = lateToleranceMs(this.intervalUs);
  }

  /**
   * Waits for a slot that comes before `deadline` (epoch ms) and resolves true at its time, when
   * the PDU must be written at once (same tick); false when none comes in time. Slots are spaced
   * on Redis's clock, which ours only sees through a round trip: the wait ends after the latest
   * moment the slot can be (asked + round trip + wait), and a slot whose earliest possible
   * moment (asked + wait) lies more than the tolerance behind us is left unused and another
   * taken. So every write falls within the tolerance after its slot, and any 1-second window holds
   * at most rate + 2 writes however late the event loop runs. Throws when Redis does not answer.
   */
  async take(deadline: number): Promise<boolean> {
    // A deadline already past still gets one try, for a slot free right now.
    for (let tries = 0; ; tries++) {
      const asked = performance.now();
      const maxWaitMs = deadline - Date.now();
      if (maxWaitMs < 0 && tries > 0) return false;
      const waitUs = (await this.redis.eval(
        TAKE_SLOT_LUA,
        1,
        this.key,
        this.intervalUs,
        Math.floor(Math.max(0, maxWaitMs) * 1000),
      )) as number;
      if (waitUs < 0) return false;
      const answered = performance.now();
      const slotLatest = answered + waitUs / 1000;
      if (slotLatest - performance.now() >= 1) await sleep(slotLatest - performance.now());
      if (performance.now() <= asked + waitUs / 1000 + this.toleranceMs) return true;
    }
  }
}

// SMPP_MAX_MPS: the account's throughput at the SMSC, in submit_sm PDUs per second, shared by every
// worker process. Each PDU takes the next slot of one Redis key (the generic cell rate algorithm
// with no burst, on Redis's clock), so slots are at least 1/rate apart across the fleet: any
// 1-second window holds at most `rate` of them. The caller writes its PDU at its slot's time.
import type Redis from 'ioredis';

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

export class SmppThroughput {
  private readonly intervalUs: number;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    rate: number,
  ) {
    this.intervalUs = slotIntervalUs(rate);
  }

  /**
   * Reserves the next slot if it comes within `maxWaitMs`: answers how many ms until it (0 or
   * more; the PDU is written then), or null when it is further away and nothing was reserved.
   * Throws when Redis does not answer: the PDU is not written.
   */
  async reserve(maxWaitMs: number): Promise<number | null> {
    const waitUs = (await this.redis.eval(
      TAKE_SLOT_LUA,
      1,
      this.key,
      this.intervalUs,
      Math.max(0, Math.floor(maxWaitMs * 1000)),
    )) as number;
    return waitUs < 0 ? null : waitUs / 1000;
  }
}

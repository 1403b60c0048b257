// One circuit breaker per provider, shared by every process through Redis (issue 16): dispatch asks
// it before a call and tells it how the call went, so a provider that keeps failing is left alone
// for a cool-down and then tried with a single probe message.
//
// The states: `closed` lets every call through and counts consecutive failures; `failures` of them
// in a row, or one `auth`, open it. `open` refuses every call for `cooldownMs`; after that it is
// `half-open`, and exactly one caller across all processes is admitted as the probe. The probe's
// success closes the breaker; its failure opens it for another cool-down. Only the probe's report
// moves an open breaker: the reports of calls admitted before it opened say nothing new.
//
// Why Lua: every decision reads the state and writes it back (count a failure and maybe open, take
// the probe slot if it is free). Two processes doing that in separate commands could both see the
// slot free and both send a probe, or lose each other's failures; a script runs atomically in
// Redis, so there is no window between the read and the write and no retry loop as with WATCH.
//
// Why Redis's clock (TIME inside the scripts): the cool-down starts in one process and ends in
// another, and workers' clocks differ. Measured on one clock, no worker probes early because its
// clock runs ahead, and none waits forever because its clock runs behind.
//
// The probe lease: the process that took the probe may die (or lose Redis) before it reports, and
// then no report ever comes. The slot is held only until `probeLeaseMs` has passed; after it the
// next caller takes the probe, so a breaker cannot stay half-open forever. The lease must outlast
// one call (PROVIDER_TIMEOUT_MS and a resolution), or a slow probe's slot would pass to a second
// probe while the first is still out. A lost probe's report that arrives after its lease ran out
// still counts while no other probe has reported.
//
// State (KEYS[1], a hash; no key is closed with no failures): `state` = 'open' when open or
// half-open, `failures` = consecutive failures, `opened_at`, `reopens_at` (when a probe may go) and
// `probe_until` (the probe's lease; 0 when none is out), all in ms on Redis's clock, and `auth` = 1
// when it opened on refused credentials.
//
// Redis errors reach the caller: whether to send when the breaker cannot be asked is dispatch's
// decision, not this module's.
import type Redis from 'ioredis';
import type { BreakerOutcome } from './breaker-outcome';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What `admit` answers: go ahead (closed), go ahead as the one probe, or do not call. */
export type Admission = 'closed' | 'probe' | 'refused';

/** Why a breaker changed state, as metrics and the analytics show it. */
export type TransitionReason = 'failures' | 'auth' | 'probe-succeeded' | 'probe-failed';

export interface BreakerTransition {
  provider: string;
  from: BreakerState;
  to: BreakerState;
  /** On Redis's clock. */
  at: Date;
  reason: TransitionReason;
}

export interface BreakerStatus {
  state: BreakerState;
  /** Consecutive failures reported (the probe's included); 0 after a success. */
  failures: number;
  /** When it last opened; null when closed. */
  openedAt: Date | null;
  /** When its cool-down ends and a probe may go; null when closed. */
  reopensAt: Date | null;
  /** Whether it last opened because the provider refused our credentials (`auth`). */
  credentialsRefused: boolean;
  /** Half-open with its probe out (admitted, not yet reported, lease not run out). */
  probing: boolean;
}

export interface BreakerOptions {
  /** Consecutive failures that open a closed breaker (BREAKER_FAILURES). */
  failures?: number;
  /** How long an open breaker refuses every call (BREAKER_COOLDOWN_MS). */
  cooldownMs?: number;
  /** How long a probe holds the slot without reporting; the cool-down when not given. */
  probeLeaseMs?: number;
}

const DEFAULT_FAILURES = 5;
const DEFAULT_COOLDOWN_MS = 30_000;

/** Shared Lua: Redis's clock in ms, and the breaker's fields. */
const PRELUDE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local open = redis.call('HGET', KEYS[1], 'state') == 'open'
local function field(name) return tonumber(redis.call('HGET', KEYS[1], name) or '0') end
`;

/** ARGV[1]: the probe lease (ms). Answers 'closed', 'probe' or 'refused'. */
const ADMIT_LUA = `${PRELUDE}
if not open then return 'closed' end
if now < field('reopens_at') or now < field('probe_until') then return 'refused' end
redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[1]))
return 'probe'
`;

/**
 * ARGV: the outcome, '1' when the caller was the probe, the failures that open, the cool-down
 * (ms). Answers the transition {from, to, at, reason}, or nil when the state did not change.
 */
const REPORT_LUA = `${PRELUDE}
local outcome = ARGV[1]
local failures = field('failures')
local function reopen(from, reason)
  redis.call('HSET', KEYS[1], 'state', 'open', 'failures', failures + 1, 'opened_at', now,
    'reopens_at', now + tonumber(ARGV[4]), 'probe_until', 0, 'auth', outcome == 'auth' and 1 or 0)
  return {from, 'open', now, reason}
end
if not open then
  if outcome == 'success' then
    if failures > 0 then redis.call('DEL', KEYS[1]) end
    return false
  end
  if outcome == 'auth' then return reopen('closed', 'auth') end
  if failures + 1 >= tonumber(ARGV[3]) then return reopen('closed', 'failures') end
  redis.call('HSET', KEYS[1], 'failures', failures + 1)
  return false
end
if ARGV[2] ~= '1' or now < field('reopens_at') or field('probe_until') == 0 then return false end
if outcome == 'success' then
  redis.call('DEL', KEYS[1])
  return {'half-open', 'closed', now, 'probe-succeeded'}
end
if outcome == 'auth' then return reopen('half-open', 'auth') end
return reopen('half-open', 'probe-failed')
`;

/** A probe that made no call gives its slot back, so the next caller probes at once. */
const RELEASE_LUA = `${PRELUDE}
if open then redis.call('HSET', KEYS[1], 'probe_until', 0) end
return 1
`;

/** Answers {state, failures, opened_at, reopens_at, auth, probing}, the times 0 when closed. */
const STATE_LUA = `${PRELUDE}
if not open then return {'closed', field('failures'), 0, 0, 0, 0} end
local reopens = field('reopens_at')
local state = 'open'
if now >= reopens then state = 'half-open' end
local probing = 0
if now < field('probe_until') then probing = 1 end
return {state, field('failures'), field('opened_at'), reopens, field('auth'), probing}
`;

type TransitionReply = [BreakerState, BreakerState, number, TransitionReason] | null;
type StateReply = [BreakerState, number, number, number, number, number];

export class CircuitBreakers {
  private readonly failures: number;
  private readonly cooldownMs: number;
  private readonly probeLeaseMs: number;

  /** Keys are `${keyPrefix}:breaker:${provider}` (keyPrefix: REDIS_PREFIX). */
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    options: BreakerOptions = {},
  ) {
    this.failures = positive('failures', options.failures ?? DEFAULT_FAILURES);
    if (!Number.isInteger(this.failures)) {
      throw new RangeError(`failures must be a whole number, got ${this.failures}`);
    }
    this.cooldownMs = positive('cooldownMs', options.cooldownMs ?? DEFAULT_COOLDOWN_MS);
    this.probeLeaseMs = positive('probeLeaseMs', options.probeLeaseMs ?? this.cooldownMs);
  }

  /** Whether a call to `provider` may go now; 'probe' goes to one caller at a time. */
  async admit(provider: string): Promise<Admission> {
    return (await this.redis.eval(
      ADMIT_LUA,
      1,
      this.key(provider),
      Math.ceil(this.probeLeaseMs),
    )) as Admission;
  }

  /**
   * How a call admitted by `admit` went (`breakerOutcome` of its answer; answers that say nothing
   * about the provider are not reported). `probe`: the call was admitted as the probe. Answers
   * the transition when the breaker changed state.
   */
  async report(
    provider: string,
    outcome: BreakerOutcome,
    { probe }: { probe: boolean },
  ): Promise<BreakerTransition | null> {
    const reply = (await this.redis.eval(
      REPORT_LUA,
      1,
      this.key(provider),
      outcome,
      probe ? '1' : '0',
      this.failures,
      Math.ceil(this.cooldownMs),
    )) as TransitionReply;
    if (!reply) return null;
    const [from, to, at, reason] = reply;
    return { provider, from, to, at: new Date(at), reason };
  }

  /**
   * The probe admitted by `admit` made no call (its message was taken by another worker, its batch
   * stopped, the adapter refused it itself): its slot is free again at once rather than after its
   * lease.
   */
  async release(provider: string): Promise<void> {
    await this.redis.eval(RELEASE_LUA, 1, this.key(provider));
  }

  /** The breaker of `provider` as it stands now, for metrics and the analytics. */
  async state(provider: string): Promise<BreakerStatus> {
    const [state, failures, openedAt, reopensAt, auth, probing] = (await this.redis.eval(
      STATE_LUA,
      1,
      this.key(provider),
    )) as StateReply;
    return {
      state,
      failures,
      openedAt: state === 'closed' ? null : new Date(openedAt),
      reopensAt: state === 'closed' ? null : new Date(reopensAt),
      credentialsRefused: auth === 1,
      probing: probing === 1,
    };
  }

  private key(provider: string): string {
    return `${this.keyPrefix}:breaker:${provider}`;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

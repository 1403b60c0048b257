import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import type { Priority } from './tier-rates';
import {
  rateLimitConfig,
  redisConfig,
  type RateLimitConfig,
  type RedisConfig,
} from '../config/configuration';
import { REDIS, redisKey } from '../redis/redis.module';
import type { ProviderRateLimit } from '../sms/sms-provider';
import { TIERS_BY_PRECEDENCE } from './allotment';
import { reportedLimit } from './backpressure';
import { GCRA_HORIZON_US } from './gcra';
import { ACQUIRE_LUA, REPORT_LUA, THROTTLE_LUA } from './limiter.lua';
import { tierRate } from './tier-rates';

export interface Permits {
  /** Permits granted now (0: wait `waitMs` and ask again). */
  count: number;
  /** When each permit may be used, as Unix milliseconds on Redis's clock (the message's sentAt). */
  atMs: number[];
  /** How long after the answer arrived each permit's time comes, in ms (0 when already due). */
  delaysMs: number[];
  waitMs: number;
  /** The batch's share of the provider's ceiling now, messages per second. */
  allottedRate: number;
}

export interface Throttle {
  /** How much longer the provider scope is paused because of this answer, ms. */
  pausedMs: number;
  /** The effective ceiling now, messages per second. */
  ceiling: number;
}

/** A batch counts as running until this long after its next expected ask (its next slot). */
const RUNNING_TTL_US = 3_000_000;
/** The provider's state outlives its last event by this much. */
const STATE_TTL_MS = 3_600_000;

type AcquireReply = [
  granted: number,
  waitUs: number,
  nowUs: number,
  allottedMilli: number,
  ceilingMilli: number,
  ...timesUs: number[],
];

interface LimiterCommands {
  salvoAcquire(...args: (string | number)[]): Promise<AcquireReply>;
  salvoThrottle(...args: (string | number)[]): Promise<[pausedUs: number, ceilingMilli: number]>;
  salvoReport(...args: (string | number)[]): Promise<number>;
}

/**
 * The one place that decides when a message may go to the provider: each batch at its share of
 * the provider's ceiling (allotment.ts) and never above its tier's rate, the ceiling itself, and
 * the provider's own signals (backpressure.ts). State lives in Redis; every decision is one Lua
 * call on Redis's clock, so it holds for any number of workers.
 */
@Injectable()
export class RateLimiter {
  private readonly redis: Redis & LimiterCommands;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(rateLimitConfig.KEY) private readonly config: RateLimitConfig,
    @Inject(redisConfig.KEY) private readonly redisSettings: RedisConfig,
  ) {
    this.redis = redis as Redis & LimiterCommands;
    this.redis.defineCommand('salvoAcquire', { numberOfKeys: 8, lua: ACQUIRE_LUA });
    this.redis.defineCommand('salvoThrottle', { numberOfKeys: 4, lua: THROTTLE_LUA });
    this.redis.defineCommand('salvoReport', { numberOfKeys: 1, lua: REPORT_LUA });
  }

  rateOf(priority: Priority): number {
    return tierRate(this.config, priority);
  }

  /** Up to `want` permits for one batch. */
  async acquire(batchId: string, priority: Priority, want: number): Promise<Permits> {
    const [granted, waitUs, nowUs, allottedMilli, , ...timesUs] = await this.redis.salvoAcquire(
      ...this.acquireArgs(batchId, priority, Math.max(1, want)),
    );
    return {
      count: granted,
      atMs: timesUs.map((us) => Math.floor(us / 1000)),
      delaysMs: timesUs.map((us) => Math.max(0, (us - nowUs) / 1000)),
      waitMs: Math.max(1, waitUs / 1000),
      allottedRate: allottedMilli / 1000,
    };
  }

  /** What a batch of `priority` may send at now, without asking for permits. */
  async allottedRate(batchId: string, priority: Priority): Promise<number> {
    const [, , , allottedMilli] = await this.redis.salvoAcquire(
      ...this.acquireArgs(batchId, priority, 0),
    );
    return allottedMilli / 1000;
  }

  /** The provider answered "rate limited": pause the provider scope and lower the ceiling. */
  async throttled(retryAfterMs: number | undefined): Promise<Throttle> {
    const { backpressure: b } = this.config;
    const [pausedUs, ceilingMilli] = await this.redis.salvoThrottle(
      this.key('provider'),
      ...this.runningKeys(),
      retryAfterMs ?? -1,
      this.config.providerMaxMps,
      ...this.rates(),
      b.decrease,
      b.minimumMps,
      b.recoveryMps,
      b.backoffBaseMs,
      b.backoffMaxMs,
      Math.random(),
      RUNNING_TTL_US,
      STATE_TTL_MS,
    );
    return { pausedMs: pausedUs / 1000, ceiling: ceilingMilli / 1000 };
  }

  /** The provider reported its limits with an answer: slow down before nothing is left. */
  async reported(rateLimit: ProviderRateLimit): Promise<void> {
    const limit = reportedLimit(rateLimit);
    await this.redis.salvoReport(
      this.key('provider'),
      limit.kind === 'space' ? limit.gapMs : -1,
      limit.kind === 'pause' ? 1 : 0,
      limit.kind === 'pause' ? limit.forMs : 0,
      STATE_TTL_MS,
    );
  }

  private acquireArgs(batchId: string, priority: Priority, want: number): (string | number)[] {
    return [
      this.key('batch', batchId),
      ...TIERS_BY_PRECEDENCE.map((tier) => this.key('provider', 'log', tier)),
      ...this.runningKeys(),
      this.key('provider'),
      batchId,
      TIERS_BY_PRECEDENCE.indexOf(priority) + 1,
      want,
      GCRA_HORIZON_US,
      ...this.rates(),
      this.config.providerMaxMps,
      this.config.floor,
      this.config.backpressure.recoveryMps,
      RUNNING_TTL_US,
    ];
  }

  private rates(): number[] {
    return TIERS_BY_PRECEDENCE.map((tier) => this.rateOf(tier));
  }

  private runningKeys(): string[] {
    return TIERS_BY_PRECEDENCE.map((tier) => this.key('running', tier));
  }

  private key(...parts: string[]): string {
    return redisKey(this.redisSettings, 'limiter', ...parts);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import type { Priority } from './tier-rates';
import {
  rateLimitConfig,
  redisConfig,
  type RateLimitConfig,
  type RedisConfig,
  type SmsProviderName,
} from '../config/configuration';
import { REDIS, redisKey } from '../redis/redis.module';
import type { ProviderRateLimit } from '../sms/sms-provider';
import { TIERS_BY_PRECEDENCE } from './allotment';
import { reportedLimit } from './backpressure';
import { GCRA_HORIZON_US } from './gcra';
import { ACQUIRE_LUA, REPORT_LUA, THROTTLE_LUA } from './limiter.lua';
import { tierRate } from './tier-rates';

/** Where a run of permits goes: the provider, and each wanted message's segment count, in order. */
export interface PermitScope {
  provider: SmsProviderName;
  segments: readonly number[];
}

export interface Permits {
  /** Permits granted now (0: wait `waitMs` and ask again). */
  count: number;
  /** When each permit may be used, as Unix milliseconds on Redis's clock (the message's sentAt). */
  atMs: number[];
  /** How long after the answer arrived each permit's time comes, in ms (0 when already due). */
  delaysMs: number[];
  waitMs: number;
  /** The batch's share now, messages per second: the smaller of the global and the provider's. */
  allottedRate: number;
}

export interface Throttle {
  /** How much longer the provider's scope is paused because of this answer, ms. */
  pausedMs: number;
  /** The provider's effective ceiling now, segments per second. */
  ceiling: number;
}

/** A batch counts as running until this long after its next expected ask (its next slot). */
const RUNNING_TTL_US = 3_000_000;
/** A provider's state outlives its last event by this much. */
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
 * The one place that decides when a message may go to a provider: each batch at its share of the
 * global ceiling (PROVIDER_MAX_MPS, messages) and of its provider's (segments), never above its
 * tier's rate (allotment.ts); both ceilings themselves; and each provider's own signals, which
 * slow only that provider (backpressure.ts). State lives in Redis; every decision is one Lua call
 * on Redis's clock, so it holds for any number of workers.
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
    this.redis.defineCommand('salvoAcquire', { numberOfKeys: 15, lua: ACQUIRE_LUA });
    this.redis.defineCommand('salvoThrottle', { numberOfKeys: 4, lua: THROTTLE_LUA });
    this.redis.defineCommand('salvoReport', { numberOfKeys: 1, lua: REPORT_LUA });
  }

  rateOf(priority: Priority): number {
    return tierRate(this.config, priority);
  }

  /**
   * Permits for one batch's next messages to `scope.provider` (at least one is asked for): a
   * prefix of them, in order, each using its message's segments of the provider's ceiling.
   */
  async acquire(batchId: string, priority: Priority, scope: PermitScope): Promise<Permits> {
    const segments = scope.segments.length ? scope.segments : [1];
    const [granted, waitUs, nowUs, allottedMilli, , ...timesUs] = await this.redis.salvoAcquire(
      ...this.acquireArgs(batchId, priority, scope.provider, segments),
    );
    return {
      count: granted,
      atMs: timesUs.map((us) => Math.floor(us / 1000)),
      delaysMs: timesUs.map((us) => Math.max(0, (us - nowUs) / 1000)),
      waitMs: Math.max(1, waitUs / 1000),
      allottedRate: allottedMilli / 1000,
    };
  }

  /**
   * How late after its permit's time a send to `provider` may still go, in ms: under a ceiling
   * (PROVIDER_MAX_MPS or the provider's own), half a permit's spacing at the tighter one, between
   * 2 and 20 ms; the ceilings' windows in the limiter's script are this much longer than a second,
   * so a send up to this late still lands in its own second at the provider. Null without a
   * ceiling (the tier rates are measured on sentAt, the permit's time).
   */
  lateToleranceMs(provider: SmsProviderName): number | null {
    const ceilings = [this.config.providerMaxMps, this.config.providerCeilings[provider]].filter(
      (ceiling) => ceiling > 0,
    );
    if (!ceilings.length) return null;
    return Math.max(2, Math.min(20, 500 / Math.min(...ceilings)));
  }

  /**
   * What a batch of `priority` may send at now to `provider`, without asking for permits (in
   * messages, taking the segments per message of the provider's last ask).
   */
  async allottedRate(
    batchId: string,
    priority: Priority,
    provider: SmsProviderName,
  ): Promise<number> {
    const [, , , allottedMilli] = await this.redis.salvoAcquire(
      ...this.acquireArgs(batchId, priority, provider, []),
    );
    return allottedMilli / 1000;
  }

  /** `provider` answered "rate limited": pause its scope and lower its ceiling, no other's. */
  async throttled(provider: SmsProviderName, retryAfterMs: number | undefined): Promise<Throttle> {
    const { backpressure: b } = this.config;
    const [pausedUs, ceilingMilli] = await this.redis.salvoThrottle(
      this.key('scope', provider),
      ...this.runningKeys('scope', provider),
      retryAfterMs ?? -1,
      this.config.providerCeilings[provider],
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

  /** `provider` reported its limits with an answer: slow down there before nothing is left. */
  async reported(provider: SmsProviderName, rateLimit: ProviderRateLimit): Promise<void> {
    const limit = reportedLimit(rateLimit);
    await this.redis.salvoReport(
      this.key('scope', provider),
      limit.kind === 'space' ? limit.gapMs : -1,
      limit.kind === 'pause' ? 1 : 0,
      limit.kind === 'pause' ? limit.forMs : 0,
      STATE_TTL_MS,
    );
  }

  private acquireArgs(
    batchId: string,
    priority: Priority,
    provider: SmsProviderName,
    segments: readonly number[],
  ): (string | number)[] {
    return [
      this.key('batch', batchId, provider),
      ...this.logKeys(),
      ...this.runningKeys(),
      ...this.logKeys('scope', provider),
      ...this.runningKeys('scope', provider),
      this.key('scope', provider),
      this.key('batch', batchId),
      batchId,
      TIERS_BY_PRECEDENCE.indexOf(priority) + 1,
      segments.length,
      GCRA_HORIZON_US,
      ...this.rates(),
      this.config.providerMaxMps,
      this.config.providerCeilings[provider],
      this.config.floor,
      this.config.backpressure.recoveryMps,
      RUNNING_TTL_US,
      STATE_TTL_MS,
      ...segments.map((count) => Math.max(1, Math.ceil(count))),
    ];
  }

  private rates(): number[] {
    return TIERS_BY_PRECEDENCE.map((tier) => this.rateOf(tier));
  }

  /** The global scope's keys keep their names from before provider scopes (no migration). */
  private logKeys(...scope: string[]): string[] {
    const base = scope.length ? scope : ['provider'];
    return TIERS_BY_PRECEDENCE.map((tier) => this.key(...base, 'log', tier));
  }

  private runningKeys(...scope: string[]): string[] {
    return TIERS_BY_PRECEDENCE.map((tier) => this.key(...scope, 'running', tier));
  }

  private key(...parts: string[]): string {
    return redisKey(this.redisSettings, 'limiter', ...parts);
  }
}

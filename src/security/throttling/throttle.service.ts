import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import {
  redisConfig,
  throttleConfig,
  type RedisConfig,
  type ThrottleConfig,
} from '../../config/configuration';
import { MetricsService, type RefusalReason } from '../../monitoring/metrics/metrics.service';
import { REDIS, redisKey } from '../../redis/redis.module';
import { FailOpen } from './fail-open';
import {
  rateLimitHeaders,
  retryAfterSeconds,
  wholeSeconds,
  type PolicyName,
  type QuotaPolicy,
  type ServiceLimit,
} from './rate-limit-headers';

/** Every throttle counts in fixed windows of a minute (docs/DECISIONS.md). */
export const WINDOW_SECONDS = 60;

export interface Refusal {
  policy: PolicyName;
  retryAfterSeconds: number;
  message: string;
}

/** What a throttle decided: the headers to send, and why the request is refused, if it is. */
export interface Verdict {
  headers: Record<string, string>;
  refusal?: Refusal;
}

interface Bucket {
  policy: QuotaPolicy;
  limiter: RateLimiterRedis;
}

/** One policy's part of a verdict; `retryAfter` is set when that policy refuses. */
interface Outcome {
  policy: QuotaPolicy;
  limit?: ServiceLimit;
  retryAfter?: number;
}

const REASONS: Partial<Record<PolicyName, RefusalReason>> = {
  'auth-failures': 'auth_throttled',
  requests: 'requests_throttled',
  batches: 'batches_throttled',
};

const MESSAGES: Record<PolicyName, (quota: number, seconds: number) => string> = {
  'auth-failures': (quota, seconds) =>
    `More than ${quota} failed authentications from this address in a minute (AUTH_FAILURES_PER_MINUTE): every credential it sends is refused for ${seconds} s.`,
  'webhook-signature-failures': (quota, seconds) =>
    `More than ${quota} webhook calls with a wrong signature from this address in a minute: refused for ${seconds} s.`,
  requests: (quota, seconds) =>
    `This account sent more than ${quota} requests this minute (REQUESTS_PER_MINUTE); retry after ${seconds} s.`,
  batches: (quota, seconds) =>
    `This account created ${quota} batches this minute, the most it may (BATCHES_PER_MINUTE); retry after ${seconds} s.`,
};

/** A RateLimiterRedis rejects with its result when the quota is passed: an answer, not an error. */
const answered = (error: unknown): RateLimiterRes => {
  if (error instanceof RateLimiterRes) return error;
  throw error;
};

/**
 * The throttles of every API process, counted in Redis (rate-limiter-flexible's RateLimiterRedis,
 * keys under REDIS_PREFIX) so that all processes share them: failed authentications per client
 * address, provider webhooks with a wrong signature per address, requests and batch creations per
 * account. A limit of 0 is off and sends no policy. When Redis cannot answer, requests pass.
 */
@Injectable()
export class ThrottleService {
  private readonly failOpen = new FailOpen(new Logger('Throttling'));
  private readonly buckets: Partial<Record<PolicyName, Bucket>> = {};

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(redisConfig.KEY) redisSettings: RedisConfig,
    @Inject(throttleConfig.KEY) limits: ThrottleConfig,
    private readonly metrics: MetricsService,
  ) {
    const quotas: Record<PolicyName, number> = {
      'auth-failures': limits.authFailuresPerMinute,
      // Webhooks are machines of one provider: the same allowance as people, in a bucket of its
      // own so that a provider's failures never lock the address out of the API, nor the reverse.
      'webhook-signature-failures': limits.authFailuresPerMinute,
      requests: limits.requestsPerMinute,
      batches: limits.batchesPerMinute,
    };
    for (const [name, quota] of Object.entries(quotas) as [PolicyName, number][]) {
      if (quota <= 0) continue;
      this.buckets[name] = {
        policy: { name, quota, windowSeconds: WINDOW_SECONDS },
        limiter: new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: redisKey(redisSettings, 'throttle', name),
          points: quota,
          duration: WINDOW_SECONDS,
          // A client that is reconnecting would queue the call: fail open at once instead.
          rejectIfRedisNotReady: true,
        }),
      };
    }
  }

  /**
   * Whether failed authentications have locked `address`, counting nothing: asked before a
   * credential is checked, so a locked address is refused whatever it sends, a correct key too.
   */
  async authLock(address: string): Promise<Verdict> {
    return this.verdict([await this.lock('auth-failures', address)]);
  }

  /** Counts a refused credential from `address`; the headers tell what is left before the lock. */
  async authFailed(address: string): Promise<Verdict> {
    return this.verdict([await this.count('auth-failures', address, { refuses: false })]);
  }

  /**
   * For provider webhooks (none yet): ask before checking a signature, and refuse with the
   * verdict's 429 when locked. Their own bucket, so the API and webhooks never lock each other.
   */
  async webhookLocked(address: string): Promise<Verdict> {
    return this.verdict([await this.lock('webhook-signature-failures', address)]);
  }

  /** For provider webhooks: counts a call from `address` whose signature did not verify. */
  async webhookSignatureFailed(address: string): Promise<Verdict> {
    return this.verdict([
      await this.count('webhook-signature-failures', address, { refuses: false }),
    ]);
  }

  /**
   * Counts an authenticated request of `accountId`, and a batch creation too when it is one.
   * A request refused by the request limit is not counted as a batch creation.
   */
  async accountRequest(accountId: string, batchCreation: boolean): Promise<Verdict> {
    const requests = await this.count('requests', accountId, { refuses: true });
    if (!batchCreation) return this.verdict([requests]);
    if (requests?.retryAfter !== undefined) {
      return this.verdict([requests, this.unasked('batches')]);
    }
    return this.verdict([requests, await this.count('batches', accountId, { refuses: true })]);
  }

  private unasked(name: PolicyName): Outcome | undefined {
    const bucket = this.buckets[name];
    return bucket && { policy: bucket.policy };
  }

  private async lock(name: PolicyName, key: string): Promise<Outcome | undefined> {
    const bucket = this.buckets[name];
    if (!bucket) return undefined;
    const { policy } = bucket;
    // undefined: Redis did not answer; null: nothing counted in this window.
    const state = await this.failOpen.run(() => bucket.limiter.get(key));
    if (state === undefined) return { policy };
    if (state === null) {
      return {
        policy,
        limit: { name, remaining: policy.quota, resetSeconds: policy.windowSeconds },
      };
    }
    return this.outcome(policy, state, state.consumedPoints >= policy.quota);
  }

  private async count(
    name: PolicyName,
    key: string,
    { refuses }: { refuses: boolean },
  ): Promise<Outcome | undefined> {
    const bucket = this.buckets[name];
    if (!bucket) return undefined;
    const state = await this.failOpen.run(() => bucket.limiter.consume(key).catch(answered));
    if (state === undefined) return { policy: bucket.policy };
    return this.outcome(
      bucket.policy,
      state,
      refuses && state.consumedPoints > bucket.policy.quota,
    );
  }

  private outcome(policy: QuotaPolicy, state: RateLimiterRes, refused: boolean): Outcome {
    return {
      policy,
      limit: {
        name: policy.name,
        remaining: Math.max(0, policy.quota - state.consumedPoints),
        resetSeconds: wholeSeconds(state.msBeforeNext),
      },
      retryAfter: refused ? retryAfterSeconds(state.msBeforeNext) : undefined,
    };
  }

  private verdict(outcomes: (Outcome | undefined)[]): Verdict {
    const known = outcomes.filter((outcome): outcome is Outcome => outcome !== undefined);
    const refusing = known.find((outcome) => outcome.retryAfter !== undefined);
    const headers = rateLimitHeaders(
      known.map((outcome) => outcome.policy),
      known.flatMap((outcome) => (outcome.limit ? [outcome.limit] : [])),
      refusing?.retryAfter,
    );
    if (!refusing?.retryAfter) return { headers };
    const { name, quota } = refusing.policy;
    const reason = REASONS[name];
    if (reason) this.metrics.refused(reason);
    return {
      headers,
      refusal: {
        policy: name,
        retryAfterSeconds: refusing.retryAfter,
        message: MESSAGES[name](quota, refusing.retryAfter),
      },
    };
  }
}

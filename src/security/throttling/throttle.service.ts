import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import {
  redisConfig,
  throttleConfig,
  type RedisConfig,
  type ThrottleConfig,
} from '../../config/configuration';
import { MetricsService, type RefusalReason } from '../../metrics/metrics.service';
import { REDIS, redisKey } from '../../redis/redis.module';
import { addressKey } from './address-key';
import { withTimeout } from '../../common/with-timeout';
import { FailOpen, THROTTLE_REDIS_TIMEOUT_MS } from './fail-open';
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

/**
 * A credential about to be checked, its point already taken from the address's allowance (see
 * ThrottleService.authAttempt). Settle it once: `release()` or `failed()`.
 */
export interface CredentialCheck {
  /** Set when the address is locked: answer it (429) without checking the credential. */
  refused?: Verdict;
  /** The credential was right, or could not be checked: its point is given back. Never throws. */
  release(): Promise<void>;
  /** The credential was wrong: its point stays, as a failure; the 401's headers say what is left. */
  failed(): Verdict;
}

/**
 * A point is given back only while its window has at least this long to run, so the give-back
 * cannot land in the next window (where it would create a credit, or cancel a new failure).
 * A point kept this way lasts until its window ends, under a second from now.
 */
export const GIVE_BACK_MARGIN_MS = 1_000;

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
  // The lock holds from the quota-th failure on; credentials being checked count meanwhile.
  'auth-failures': (quota, seconds) =>
    `${quota} failed authentications from this address in a minute (credentials being checked included), the most it may (AUTH_FAILURES_PER_MINUTE): every credential it sends is refused for ${seconds} s.`,
  'webhook-signature-failures': (quota, seconds) =>
    `${quota} webhook calls with a wrong signature from this address in a minute (calls being checked included), the most it may: refused for ${seconds} s.`,
  requests: (quota, seconds) =>
    `This account sent more than ${quota} requests this minute (REQUESTS_PER_MINUTE); retry after ${seconds} s.`,
  // Every attempt counts, whatever its body or answer.
  batches: (quota, seconds) =>
    `This account made ${quota} batch creation attempts this minute, the most it may (BATCHES_PER_MINUTE); retry after ${seconds} s.`,
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
   * Before a credential from `address` is checked: takes a point of the address's
   * AUTH_FAILURES_PER_MINUTE first, so that credentials checked at the same time count against
   * each other (a lock that was only read would let any number of parallel guesses through before
   * the first failure is counted). Past the limit the check is `refused` and its point given back;
   * a right credential gives its point back, a wrong one keeps it. So failures plus checks under
   * way never pass the limit, and more checks under way at once from one address are refused too.
   * Addresses are keyed by addressKey (no port; IPv6 by /64).
   */
  authAttempt(address: string): Promise<CredentialCheck> {
    return this.attempt('auth-failures', addressKey(address));
  }

  /**
   * For provider webhooks, before checking a call's signature: `refused` (its 429) once the
   * address's failures reached AUTH_FAILURES_PER_MINUTE; `failed()` counts one when the signature
   * does not verify; `release()` does nothing. Unlike authAttempt, no point is taken before the
   * check: a provider posts its callbacks in bursts from few addresses, and points taken for checks
   * under way (or given back too late in a window) would refuse genuine callbacks, which the
   * provider does not retry. An HMAC signature cannot be guessed, so parallel checks gain an
   * attacker nothing but CPU, which the lock still bounds once it counts. Their own bucket, so the
   * API and webhooks never lock each other.
   */
  async webhookAttempt(address: string): Promise<CredentialCheck> {
    const none = { release: () => Promise.resolve(), failed: () => ({ headers: {} }) };
    const bucket = this.buckets['webhook-signature-failures'];
    if (!bucket) return none;
    const { policy, limiter } = bucket;
    const key = addressKey(address);
    const state = await this.failOpen.run(() => limiter.get(key));
    if (state === undefined) return none;
    const consumed = state?.consumedPoints ?? 0;
    if (state && consumed >= policy.quota) {
      return {
        refused: this.verdict([this.outcome(policy, consumed, state.msBeforeNext, true)]),
        ...none,
      };
    }
    return {
      release: () => Promise.resolve(),
      failed: () => {
        void this.failOpen.run(() => limiter.penalty(key, 1)).catch(() => undefined);
        const msLeft = state?.msBeforeNext ?? policy.windowSeconds * 1000;
        return this.verdict([this.outcome(policy, consumed + 1, msLeft, false)]);
      },
    };
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

  private async attempt(name: PolicyName, key: string): Promise<CredentialCheck> {
    const bucket = this.buckets[name];
    if (!bucket) return { release: () => Promise.resolve(), failed: () => ({ headers: {} }) };
    const { policy, limiter } = bucket;
    const asked = performance.now();
    let consuming: Promise<RateLimiterRes> | undefined;
    const state = await this.failOpen.run(() => (consuming = limiter.consume(key).catch(answered)));
    // Redis did not answer in time: the check goes ahead. A timed-out call is not cancelled, and
    // ioredis may still deliver (or resend) it: a right credential gives that point back when it
    // lands, so a stall never leaves phantom failures behind.
    if (state === undefined) {
      let settled = false;
      return {
        release: () => {
          if (settled || !consuming) return Promise.resolve();
          settled = true;
          void consuming.then(
            (late) => this.giveBack(limiter, key, asked + late.msBeforeNext),
            () => undefined,
          );
          return Promise.resolve();
        },
        failed: () => {
          settled = true;
          return this.verdict([{ policy }]);
        },
      };
    }
    // Redis measured the window's time to live after `asked`, so this end is never late: the
    // margin below is kept whatever the call's latency was (a monotonic clock, not Date.now()).
    const windowEnd = asked + state.msBeforeNext;
    let settled = false;
    const giveBack = async (): Promise<void> => {
      if (settled) return;
      settled = true;
      await this.giveBack(limiter, key, windowEnd);
    };
    if (state.consumedPoints > policy.quota) {
      await giveBack();
      const left = windowEnd - performance.now();
      return {
        refused: this.verdict([this.outcome(policy, policy.quota, left, true)]),
        release: () => Promise.resolve(),
        failed: () => ({ headers: {} }),
      };
    }
    return {
      release: giveBack,
      failed: () => {
        settled = true;
        const left = windowEnd - performance.now();
        return this.verdict([this.outcome(policy, state.consumedPoints, left, false)]);
      },
    };
  }

  /**
   * Gives a point back while its window has GIVE_BACK_MARGIN_MS to run. Not through FailOpen's
   * skip: a give-back skipped during an outage would stay as a failure. Never rejects.
   */
  private async giveBack(limiter: RateLimiterRedis, key: string, windowEnd: number): Promise<void> {
    if (performance.now() + GIVE_BACK_MARGIN_MS > windowEnd) return;
    await withTimeout(limiter.reward(key, 1), THROTTLE_REDIS_TIMEOUT_MS).catch(() => undefined);
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
      state.consumedPoints,
      state.msBeforeNext,
      refuses && state.consumedPoints > bucket.policy.quota,
    );
  }

  /** A policy's part of a verdict, `consumed` points counted and `msLeft` left in the window. */
  private outcome(
    policy: QuotaPolicy,
    consumed: number,
    msLeft: number,
    refused: boolean,
  ): Outcome {
    return {
      policy,
      limit: {
        name: policy.name,
        remaining: Math.max(0, policy.quota - consumed),
        resetSeconds: wholeSeconds(msLeft),
      },
      retryAfter: refused ? retryAfterSeconds(msLeft) : undefined,
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

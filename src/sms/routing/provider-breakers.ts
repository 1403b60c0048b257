// The circuit breakers of the providers in use (SMS_ROUTES), as dispatch and the analytics see
// them: circuit-breakers.ts keeps the state in Redis; this adds the configuration, the metrics and
// a short history of transitions that the analytics show.
import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import {
  dispatchConfig,
  redisConfig,
  routingConfig,
  type DispatchConfig,
  type RedisConfig,
  type RoutingConfig,
  type SmsProviderName,
} from '../../config/configuration';
import { MetricsService } from '../../metrics/metrics.service';
import { REDIS, redisKey } from '../../redis/redis.module';
import type { SendResult } from '../sms-provider';
import { breakerOutcome } from './breaker-outcome';
import {
  CircuitBreakers,
  type Admission,
  type BreakerStatus,
  type BreakerTransition,
} from './circuit-breakers';

/** Transitions kept for the analytics, newest first, deployment-wide. */
const HISTORY = 100;

@Injectable()
export class ProviderBreakers {
  private readonly logger = new Logger(ProviderBreakers.name);
  private readonly breakers: CircuitBreakers;
  private readonly historyKey: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(redisConfig.KEY) redisSettings: RedisConfig,
    @Inject(routingConfig.KEY) private readonly routing: RoutingConfig,
    @Inject(dispatchConfig.KEY) dispatch: DispatchConfig,
    private readonly metrics: MetricsService,
  ) {
    this.breakers = new CircuitBreakers(redis, redisKey(redisSettings), {
      failures: routing.breaker.failures,
      cooldownMs: routing.breaker.cooldownMs,
      // A probe holds its slot as long as a claim may last: a call, its resolution and its write.
      probeLeaseMs: dispatch.claimLeaseMs,
    });
    this.historyKey = redisKey(redisSettings, 'breaker-transitions');
  }

  /** Whether a call to `provider` may go now: closed, as the one probe, or refused. */
  admit(provider: SmsProviderName): Promise<Admission> {
    return this.breakers.admit(provider);
  }

  /**
   * Tells the breaker how a call went, when the answer says something about the provider's health
   * (breaker-outcome.ts); a probe the provider answered at all (a throttle, a refusal of the
   * message) shows it is up, and one that never reached it gives its slot back. A transition is
   * counted, kept for the analytics and logged.
   */
  async report(
    provider: SmsProviderName,
    result: SendResult,
    { probe }: { probe: boolean },
  ): Promise<BreakerTransition | null> {
    let outcome = breakerOutcome(result);
    if (!outcome && probe) {
      if (!result.accepted && result.local) {
        await this.release(provider);
        return null;
      }
      outcome = 'success';
    }
    if (!outcome) return null;
    const transition = await this.breakers.report(provider, outcome, { probe });
    if (!transition) return null;
    this.metrics.breakerTransitioned(transition);
    const log = transition.to === 'closed' ? 'log' : 'warn';
    this.logger[log](
      `The circuit breaker of ${provider} went from ${transition.from} to ${transition.to} (${transition.reason}).`,
    );
    await this.redis
      .multi()
      .lpush(this.historyKey, JSON.stringify(transition))
      .ltrim(this.historyKey, 0, HISTORY - 1)
      .exec();
    return transition;
  }

  /** A probe admitted by `admit` that made no call frees its slot (circuit-breakers.ts). */
  release(provider: SmsProviderName): Promise<void> {
    return this.breakers.release(provider);
  }

  /** The breakers of `providers` (every provider in use by default), as they stand now. */
  async states(
    providers: readonly SmsProviderName[] = this.routing.providers,
  ): Promise<Map<SmsProviderName, BreakerStatus>> {
    const states = await Promise.all(providers.map((name) => this.breakers.state(name)));
    return new Map(providers.map((name, i) => [name, states[i]]));
  }

  /** The last `limit` transitions of any breaker, newest first. */
  async transitions(limit = 20): Promise<BreakerTransition[]> {
    const rows = await this.redis.lrange(this.historyKey, 0, Math.min(limit, HISTORY) - 1);
    return rows.map((row) => {
      const parsed = JSON.parse(row) as BreakerTransition & { at: string };
      return { ...parsed, at: new Date(parsed.at) };
    });
  }
}

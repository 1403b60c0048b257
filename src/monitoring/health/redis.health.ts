import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { withTimeout } from '../../common/with-timeout';
import { REDIS } from '../../redis/redis.module';

/** Redis answers a PING on the shared connection, within the timeout. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly health: HealthIndicatorService,
  ) {}

  async pingCheck<Key extends string>(
    key: Key,
    { timeout }: { timeout: number },
  ): Promise<HealthIndicatorResult<Key>> {
    const check = this.health.check(key);
    // Not connected: say so at once rather than queue a PING until Redis comes back.
    if (this.redis.status !== 'ready') {
      return check.down({ message: `not connected (connection ${this.redis.status})` });
    }
    try {
      await withTimeout(this.redis.ping(), timeout);
      return check.up();
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }
}

import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { redisConfig, type RedisConfig } from '../config/configuration';

export const REDIS = Symbol('REDIS');

/** Closes the shared connection when the application stops. */
@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The one Redis connection for limiter state and other small keys (Bull keeps its own). Every key
 * starts with REDIS_PREFIX; see `redisKey`.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [redisConfig.KEY],
      useFactory: (config: RedisConfig) => new Redis(config.url, { maxRetriesPerRequest: 3 }),
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}

/** A key under REDIS_PREFIX, parts joined by ":". */
export function redisKey(config: RedisConfig, ...parts: string[]): string {
  return [config.prefix, ...parts].join(':');
}

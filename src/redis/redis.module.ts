import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
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
      useFactory: (config: RedisConfig) =>
        reportOutages(
          // Bounded both ways Redis can be away: refused (a few reconnections, then the command
          // fails) and silent (no answer within REDIS_COMMAND_TIMEOUT_MS).
          new Redis(config.url, {
            maxRetriesPerRequest: 3,
            commandTimeout: config.commandTimeoutMs,
          }),
        ),
    },
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}

/**
 * ioredis reconnects by itself; without an `error` listener it prints every failed attempt as plain
 * text. One warning when the connection is lost and one line when it is back, in the JSON log.
 */
function reportOutages(redis: Redis): Redis {
  const logger = new Logger('Redis');
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis is unreachable (${error.message}); reconnecting.`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.log('Redis is reachable again.');
  });
  return redis;
}

/** A key under REDIS_PREFIX, parts joined by ":". */
export function redisKey(config: RedisConfig, ...parts: string[]): string {
  return [config.prefix, ...parts].join(':');
}

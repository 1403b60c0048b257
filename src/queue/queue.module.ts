import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import {
  dispatchConfig,
  redisConfig,
  type DispatchConfig,
  type RedisConfig,
} from '../config/configuration';

/**
 * Bull's connection and settings for every queue: keys under REDIS_PREFIX, and stalled-job
 * detection on the same clock as message claims, so a killed worker's chunk is picked up again
 * about when its claims expire.
 */
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [redisConfig.KEY, dispatchConfig.KEY],
      useFactory: (redis: RedisConfig, dispatch: DispatchConfig) => ({
        url: redis.url,
        prefix: redis.prefix,
        settings: {
          lockDuration: dispatch.claimLeaseMs,
          stalledInterval: dispatch.claimLeaseMs,
          maxStalledCount: 5,
        },
      }),
    }),
  ],
})
export class QueueModule {}

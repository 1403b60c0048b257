import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import {
  dispatchConfig,
  redisConfig,
  type DispatchConfig,
  type RedisConfig,
} from '../config/configuration';
import { QueueErrors } from './queue-errors';

/**
 * Bull's connections: reconnect at most RECONNECT_MAX_MS apart. Bull's own backoff grows to 20 s,
 * so after an outage of a few seconds dispatch would wait up to that long for its next attempt.
 * (No command timeout: Bull's blocking reads wait for jobs on purpose, and Bull requires its
 * blocking and subscriber connections to retry commands for ever.)
 */
function bullRedisOptions(): { retryStrategy: (attempt: number) => number } {
  return { retryStrategy: (attempt) => Math.min(attempt * 100, RECONNECT_MAX_MS) };
}

const RECONNECT_MAX_MS = 1_000;

/**
 * Bull's connection and settings for every queue: keys under REDIS_PREFIX, and job locks on the
 * same clock as message claims. A live worker renews its job's lock every CLAIM_RENEW_MS; a dead
 * one's lock runs out after CLAIM_LEASE_MS, and the stall check, every CLAIM_RENEW_MS, puts the job
 * back in the wait list at its second look after that (Bull moves a job it saw active at the
 * previous check whose lock is gone): within a lease and two renewal intervals of the death, about
 * when its claims run out. A frozen worker's job may then run twice at once; the claims' fencing
 * tokens keep each message to one worker, and Bull refuses to complete a job whose lock it lost.
 */
@Module({
  imports: [
    DiscoveryModule,
    BullModule.forRootAsync({
      inject: [redisConfig.KEY, dispatchConfig.KEY],
      useFactory: (redis: RedisConfig, dispatch: DispatchConfig) => ({
        url: redis.url,
        redis: bullRedisOptions(),
        prefix: redis.prefix,
        settings: {
          lockDuration: dispatch.claimLeaseMs,
          lockRenewTime: dispatch.claimRenewMs,
          stalledInterval: dispatch.claimRenewMs,
          // A job past this many stalls fails (removed); the reconciler queues its batch again.
          maxStalledCount: 5,
        },
      }),
    }),
  ],
  providers: [QueueErrors],
})
export class QueueModule {}

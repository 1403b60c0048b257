import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { redisConfig, type RedisConfig } from '../config/configuration';
import { REDIS, redisKey } from '../redis/redis.module';
import { RATE_WINDOW_SECONDS } from './batch-metrics';

/**
 * Accepted messages per batch per second, in Redis (one small key per busy second, gone after a
 * minute): what messagesPerSecond reads without scanning messages. A lost Redis only blanks the
 * metric for ten seconds.
 */
@Injectable()
export class SentRate {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(redisConfig.KEY) private readonly config: RedisConfig,
  ) {}

  async record(acceptedByBatch: ReadonlyMap<string, number>, at = Date.now()): Promise<void> {
    if (!acceptedByBatch.size) return;
    const second = Math.floor(at / 1000);
    const pipeline = this.redis.pipeline();
    for (const [batchId, count] of acceptedByBatch) {
      if (count <= 0) continue;
      const key = this.key(batchId, second);
      pipeline.incrby(key, count).expire(key, 60);
    }
    await pipeline.exec();
  }

  /** Accepted within the last RATE_WINDOW_SECONDS, per batch. */
  async recent(batchIds: readonly string[], at = Date.now()): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (!batchIds.length) return result;
    const now = Math.floor(at / 1000);
    const seconds = Array.from({ length: RATE_WINDOW_SECONDS }, (_, i) => now - i);
    const values = await this.redis.mget(
      batchIds.flatMap((id) => seconds.map((s) => this.key(id, s))),
    );
    batchIds.forEach((id, b) => {
      const slice = values.slice(b * seconds.length, (b + 1) * seconds.length);
      result.set(
        id,
        slice.reduce((sum, value) => sum + Number(value ?? 0), 0),
      );
    });
    return result;
  }

  private key(batchId: string, second: number): string {
    return redisKey(this.config, 'accepted', batchId, String(second));
  }
}

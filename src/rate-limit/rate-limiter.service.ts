import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import type { Priority } from '../batch/entities/batch.entity';
import {
  rateLimitConfig,
  redisConfig,
  type RateLimitConfig,
  type RedisConfig,
} from '../config/configuration';
import { REDIS, redisKey } from '../redis/redis.module';
import { emissionIntervalUs, GCRA_HORIZON_US, GCRA_LUA } from './gcra';
import { tierRate } from './tier-rates';

export interface Permits {
  /** Permits granted now (0: wait `waitMs` and ask again). */
  count: number;
  /** When each permit may be used, as Unix milliseconds on Redis's clock (the message's sentAt). */
  atMs: number[];
  /** How long after the answer arrived each permit's time comes, in ms (0 when already due). */
  delaysMs: number[];
  waitMs: number;
}

type GcraReply = [granted: number, firstUs: number, waitUs: number, nowUs: number];

/** The shared per-batch limiter: one atomic Lua call per decision, on Redis's clock. */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(rateLimitConfig.KEY) private readonly rates: RateLimitConfig,
    @Inject(redisConfig.KEY) private readonly redisSettings: RedisConfig,
  ) {
    this.redis.defineCommand('salvoGcra', { numberOfKeys: 1, lua: GCRA_LUA });
  }

  rateOf(priority: Priority): number {
    return tierRate(this.rates, priority);
  }

  /** Up to `want` permits for one batch at its tier's rate. */
  async acquire(batchId: string, priority: Priority, want: number): Promise<Permits> {
    const interval = emissionIntervalUs(this.rateOf(priority));
    const key = redisKey(this.redisSettings, 'limiter', 'batch', batchId);
    const [granted, firstUs, waitUs, nowUs] = await (
      this.redis as Redis & { salvoGcra(key: string, ...args: number[]): Promise<GcraReply> }
    ).salvoGcra(key, interval, Math.max(1, want), GCRA_HORIZON_US);
    const atMs: number[] = [];
    const delaysMs: number[] = [];
    for (let i = 0; i < granted; i++) {
      const atUs = firstUs + i * interval;
      atMs.push(Math.floor(atUs / 1000));
      delaysMs.push(Math.max(0, (atUs - nowUs) / 1000));
    }
    return { count: granted, atMs, delaysMs, waitMs: Math.max(1, waitUs / 1000) };
  }
}

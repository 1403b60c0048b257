import { Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter';

/** Decides when a message may go to the provider: tier rates through a shared GCRA in Redis. */
@Module({ providers: [RateLimiter], exports: [RateLimiter] })
export class RateLimitModule {}

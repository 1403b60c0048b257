import { Module } from '@nestjs/common';

/**
 * Decides when a message may go to the provider. For now only the tier rates (tier-rates.ts); the
 * shared Redis limiter, the provider ceiling and rate analytics come with dispatch.
 */
@Module({})
export class RateLimitModule {}

import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BatchModule } from '../batch/batch.module';
import { QuotaModule } from '../quota/quota.module';
import { HealthController } from './health/health.controller';
import { RedisHealthIndicator } from './health/redis.health';
import { ScrapeReads } from './metrics/scrape-reads.service';

/**
 * Health and readiness, and what Prometheus scrapes read from Redis and PostgreSQL (MetricsModule
 * holds the metrics). On every process, whatever its role.
 */
@Module({
  imports: [TerminusModule.forRoot(), BatchModule, QuotaModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, ScrapeReads],
})
export class MonitoringModule {}

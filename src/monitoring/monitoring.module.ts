import { Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BatchModule } from '../batch/batch.module';
import { metricsConfig, type MetricsConfig } from '../config/configuration';
import { QuotaModule } from '../quota/quota.module';
import { RoutingModule } from '../sms/routing/routing.module';
import { HealthController } from './health/health.controller';
import { RedisHealthIndicator } from './health/redis.health';
import { MetricsController } from './metrics/metrics.controller';
import { MetricsTokenGuard } from './metrics/metrics-token.guard';
import { ScrapeReadsService } from './metrics/scrape-reads.service';

/**
 * Health and readiness, `GET /metrics`, and what Prometheus scrapes read from Redis and PostgreSQL
 * (MetricsModule holds the registry). On every process, whatever its role.
 */
@Module({
  imports: [TerminusModule.forRoot(), BatchModule, QuotaModule, RoutingModule],
  // /metrics first: the order of the OpenAPI document's paths, as when MetricsModule served it.
  controllers: [MetricsController, HealthController],
  providers: [RedisHealthIndicator, ScrapeReadsService, MetricsTokenGuard],
})
export class MonitoringModule implements OnApplicationBootstrap {
  constructor(@Inject(metricsConfig.KEY) private readonly config: MetricsConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.token === undefined) {
      new Logger('Metrics').warn(
        'METRICS_TOKEN is not set: /metrics is open to anyone who can reach this port.',
      );
    }
  }
}

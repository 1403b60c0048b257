import { Global, Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { metricsConfig, type MetricsConfig } from '../../config/configuration';
import { MetricsController } from './metrics.controller';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics on every process: the registry any module may count into (dispatch, the
 * gateway) and `GET /metrics`. It depends on nothing; what reads Redis or PostgreSQL on scrape is
 * registered by MonitoringModule.
 */
@Global()
@Module({
  providers: [MetricsService, MetricsTokenGuard],
  controllers: [MetricsController],
  exports: [MetricsService],
})
export class MetricsModule implements OnApplicationBootstrap {
  constructor(@Inject(metricsConfig.KEY) private readonly config: MetricsConfig) {}

  onApplicationBootstrap(): void {
    if (this.config.token === undefined) {
      new Logger('Metrics').warn(
        'METRICS_TOKEN is not set: /metrics is open to anyone who can reach this port.',
      );
    }
  }
}

import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics on every process: the registry any module may count into (dispatch, the
 * gateway) and `GET /metrics`. It depends on nothing; what reads Redis or PostgreSQL on scrape is
 * registered by MonitoringModule.
 */
@Global()
@Module({
  providers: [MetricsService],
  controllers: [MetricsController],
  exports: [MetricsService],
})
export class MetricsModule {}

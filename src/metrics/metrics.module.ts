import { Global, Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/**
 * Prometheus metrics on every process: the registry any module may count into (dispatch, quotas,
 * throttles, the gateway). Global like the configuration: it imports no domain folder, so being
 * global hides no cycle. `GET /metrics` and the gauges read on scrape are MonitoringModule's.
 */
@Global()
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}

import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** Health now; the Socket.IO gateway, Prometheus metrics and readiness come with monitoring. */
@Module({ controllers: [HealthController] })
export class MonitoringModule {}

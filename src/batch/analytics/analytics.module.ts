import { Module } from '@nestjs/common';
import { BatchModule } from '../batch.module';
import { RateLimitModule } from '../../rate-limit/rate-limit.module';
import { RoutingModule } from '../../sms/routing/routing.module';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsService } from './analytics.service';

/** `GET /api/batch/:id/analytics` (API processes only); dispatch writes what it reads. */
@Module({
  imports: [BatchModule, RateLimitModule, RoutingModule],
  controllers: [AnalyticsController],
  providers: [AnalyticsService],
})
export class AnalyticsModule {}

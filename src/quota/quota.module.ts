import { Module } from '@nestjs/common';
import { DailyUsageRepository } from './daily-usage.repository';
import { QuotaService } from './quota.service';

/** Daily quotas per account: taken by the batch lifecycle, read by GET /api/usage and metrics. */
@Module({
  providers: [QuotaService, DailyUsageRepository],
  exports: [QuotaService],
})
export class QuotaModule {}

import { Module } from '@nestjs/common';
import { QuotaModule } from './quota.module';
import { UsageController } from './usage.controller';

/** GET /api/usage (API processes only). */
@Module({ imports: [QuotaModule], controllers: [UsageController] })
export class QuotaHttpModule {}

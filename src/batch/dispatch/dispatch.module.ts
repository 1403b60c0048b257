import { Module } from '@nestjs/common';
import { QuotaModule } from '../../quota/quota.module';
import { RateLimitModule } from '../../rate-limit/rate-limit.module';
import { RoutingModule } from '../../sms/routing/routing.module';
import { SmsModule } from '../../sms/sms.module';
import { BatchModule } from '../batch.module';
import { DeliverySweeper } from '../delivery/delivery-sweeper.service';
import { BatchEventsModule } from '../events/batch-events.module';
import { BatchStatusCache } from './batch-status.cache';
import { ClaimLeases } from './claim-leases.service';
import { DispatchProcessor } from './dispatch.processor';
import { DispatchService } from './dispatch.service';
import { ReconcilerService } from './reconciler.service';
import { ResultWriterService } from './result-writer.service';
import { Clock, SystemClock } from '../../common/clock';
import { SendWindows } from '../windows/send-windows.service';
import { IdempotencySweeper } from '../idempotency-sweeper.service';

/**
 * Sending (worker processes only): the chunk consumer, the result writer, the renewal of claims,
 * the reconciler, the sweep of delivery receipts and that of expired Idempotency-Keys.
 */
@Module({
  imports: [BatchModule, BatchEventsModule, RateLimitModule, SmsModule, RoutingModule, QuotaModule],
  providers: [
    DispatchService,
    DispatchProcessor,
    ResultWriterService,
    BatchStatusCache,
    ClaimLeases,
    ReconcilerService,
    DeliverySweeper,
    IdempotencySweeper,
    SendWindows,
    { provide: Clock, useClass: SystemClock },
  ],
})
export class DispatchModule {}

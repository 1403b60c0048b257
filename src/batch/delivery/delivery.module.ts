import { Global, Module } from '@nestjs/common';
import { RECEIPT_RECORDER } from '../../sms/receipts';
import { BatchModule } from '../batch.module';
import { BatchEventsModule } from '../events/batch-events.module';
import { ReceiptsService } from './receipts.service';

/**
 * Delivery receipts (API and worker processes): RECEIPT_RECORDER, the port that provider
 * adapters (the simulator's receipts) and webhooks hand receipts to. Global so that `sms`, which
 * must not import `batch`, can inject it by its token: it exports only that token, whose interface
 * lives in sms/receipts.ts, so being global hides no cycle (docs/ARCHITECTURE.md, "Dependency
 * rules"). The sweep of kept receipts and timeouts runs in workers (DeliverySweeper, DispatchModule).
 */
@Global()
@Module({
  imports: [BatchModule, BatchEventsModule],
  providers: [ReceiptsService, { provide: RECEIPT_RECORDER, useExisting: ReceiptsService }],
  exports: [RECEIPT_RECORDER],
})
export class DeliveryModule {}

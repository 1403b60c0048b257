import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QuotaModule } from '../quota/quota.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { RoutingModule } from '../sms/routing/routing.module';
import { BatchIngestRepository } from './batch-ingest.repository';
import { BatchIngestService } from './batch-ingest.service';
import { BatchRepository } from './batch.repository';
import { BatchLifecycleService } from './batch-lifecycle.service';
import { BatchService } from './batch.service';
import { BatchEventsModule } from './events/batch-events.module';
import { DestinationPolicyService } from './destinations/destination-policy.service';
import { DISPATCH_QUEUES } from './dispatch/dispatch.jobs';
import { DispatchProducer } from './dispatch/dispatch.producer';
import { DispatchRepository } from './dispatch/dispatch.repository';
import { ReceiptsRepository } from './delivery/receipts.repository';
import { BatchEntity } from './entities/batch.entity';
import { MessageEntity } from './entities/message.entity';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotencyService } from './idempotency.service';
import { PhoneModule } from '../phone/phone.module';
import { SentRateService } from './sent-rate.service';

/** Batches and messages: ingest, reads, the lifecycle, and queueing their dispatch. */
@Module({
  imports: [
    TypeOrmModule.forFeature([BatchEntity, MessageEntity]),
    BullModule.registerQueue(...Object.values(DISPATCH_QUEUES).map((name) => ({ name }))),
    RateLimitModule,
    RoutingModule,
    QuotaModule,
    BatchEventsModule,
    PhoneModule,
  ],
  providers: [
    BatchService,
    BatchIngestService,
    BatchIngestRepository,
    BatchLifecycleService,
    BatchRepository,
    DestinationPolicyService,
    IdempotencyService,
    IdempotencyRepository,
    DispatchProducer,
    DispatchRepository,
    ReceiptsRepository,
    SentRateService,
  ],
  exports: [
    BatchService,
    BatchRepository,
    DispatchProducer,
    DispatchRepository,
    ReceiptsRepository,
    SentRateService,
    IdempotencyService,
  ],
})
export class BatchModule {}

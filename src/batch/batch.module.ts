import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BatchIngestRepository } from './batch-ingest.repository';
import { BatchIngestService } from './batch-ingest.service';
import { BatchController } from './batch.controller';
import { BatchService } from './batch.service';
import { BatchEntity } from './entities/batch.entity';
import { MessageEntity } from './entities/message.entity';
import { IdempotencyService } from './idempotency.service';
import { PhoneNumberParser } from './phone/phone-number-parser.service';

@Module({
  imports: [TypeOrmModule.forFeature([BatchEntity, MessageEntity])],
  controllers: [BatchController],
  providers: [
    BatchService,
    BatchIngestService,
    BatchIngestRepository,
    IdempotencyService,
    PhoneNumberParser,
  ],
})
export class BatchModule {}

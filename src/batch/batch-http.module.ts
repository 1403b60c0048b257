import { Module } from '@nestjs/common';
import { BatchController } from './batch.controller';
import { BatchModule } from './batch.module';

/** The REST API of batches (API processes only). */
@Module({ imports: [BatchModule], controllers: [BatchController] })
export class BatchHttpModule {}

import { Module } from '@nestjs/common';
import { BatchEvents } from './batch-events';

/** The batch domain's notices, published from every process (see batch-notices.ts). */
@Module({ providers: [BatchEvents], exports: [BatchEvents] })
export class BatchEventsModule {}

import { Global, Module } from '@nestjs/common';
import { BatchEvents } from './batch-events.service';

/** Batch notices, published from every process (see batch-events.ts). */
@Global()
@Module({ providers: [BatchEvents], exports: [BatchEvents] })
export class BatchEventsModule {}

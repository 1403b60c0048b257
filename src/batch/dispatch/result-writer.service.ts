import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { isUnavailable } from '../../errors/unavailable';
import { MetricsService } from '../../metrics/metrics.service';
import { receiptObservation } from '../delivery/receipts.service';
import { BatchEvents } from '../events/batch-events';
import { BatchService } from '../batch.service';
import { ClaimLeases } from './claim-leases.service';
import { DispatchRepository, type MessageResult, type WriteOutcome } from './dispatch.repository';

/** Results written in one go once this many are waiting, without waiting for the timer. */
const FLUSH_AT = 500;

/**
 * Buffers each worker's results and writes them, with their counter deltas, at least every
 * RESULT_FLUSH_MS: batched writes are what let dispatch go thousands of messages a second. A
 * failed write keeps its results for the next try (their claims renewed meanwhile: ClaimLeases);
 * if the process dies first, the messages stay
 * claimed until their lease runs out and are sent again under the same idempotency key (or
 * resolved, with a provider that honours none: sms/provider-call.ts). After
 * each write it publishes what changed: progress, new statuses, newly seen failure categories.
 */
@Injectable()
export class ResultWriterService implements OnApplicationShutdown {
  private readonly logger = new Logger(ResultWriterService.name);
  private buffer: MessageResult[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly repository: DispatchRepository,
    private readonly batches: BatchService,
    private readonly events: BatchEvents,
    private readonly metrics: MetricsService,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
    private readonly leases: ClaimLeases,
  ) {}

  /** Stops retrying; what could not be written stays claimed until its lease runs out. */
  onApplicationShutdown(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  add(result: MessageResult): void {
    this.buffer.push(result);
    if (this.buffer.length >= FLUSH_AT) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.config.flushIntervalMs);
  }

  /** Writes everything added so far; resolves once it is in PostgreSQL. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writeBuffered());
    return this.writing;
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length) {
      const results = this.buffer;
      this.buffer = [];
      let outcome: WriteOutcome;
      try {
        outcome = await this.repository.writeResults(results);
      } catch (error) {
        this.buffer = [...results, ...this.buffer];
        // PostgreSQL away: the claims are renewed until it is back and the write goes through.
        // Any other failure may repeat for ever: the claims are left to run out, so other workers
        // take the messages over rather than this one holding them while it retries.
        if (!isUnavailable(error)) this.leases.forget(results);
        this.logger.error(
          `Could not write ${results.length} results; retrying`,
          (error as Error).stack,
        );
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), 1_000);
        return;
      }
      // Written (or refused by the fence): the claims are done with, no longer renewed.
      this.leases.forget(results);
      await this.publish(outcome);
    }
  }

  private async publish({
    batches,
    transitioned,
    appeared,
    receipts,
  }: WriteOutcome): Promise<void> {
    const owners = new Map(batches.map((b) => [b.id, b.accountId]));
    for (const { batchId, category } of appeared) {
      this.events.errorAppeared(owners.get(batchId)!, batchId, category);
    }
    this.events.progressed(batches);
    for (const receipt of receipts.applied)
      this.metrics.receiptApplied(receiptObservation(receipt));
    await this.batches.announce(transitioned);
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { isTransient } from '../../errors/unavailable';
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
 * write that failed because PostgreSQL is away keeps its results for the next try (their claims
 * renewed meanwhile: ClaimLeases); one that failed otherwise is retried result by result, and a
 * result that still fails is dropped, its claim left to run out. If the process dies first, the
 * messages stay
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
      try {
        await this.write(results);
      } catch (error) {
        const why = (error as Error).message;
        if (isTransient(error)) {
          // PostgreSQL away, or a passing state of it (a deadlock, a failover): kept, their
          // claims renewed, until the write goes through.
          this.buffer = [...results, ...this.buffer];
          this.logger.warn(`Could not write ${results.length} results (${why}); retrying`);
          if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), 1_000);
          return;
        }
        // Any other failure may be one result that can never be written: written one by one,
        // so that it does not hold up the others for ever.
        this.logger.warn(`Could not write ${results.length} results (${why}); one by one now`);
        if (!(await this.writeOneByOne(results))) return;
      }
    }
  }

  /** Writes results in one transaction and publishes what changed. */
  private async write(results: MessageResult[]): Promise<void> {
    const outcome = await this.repository.writeResults(results);
    // Written (or refused by the fence): the claims are done with, no longer renewed.
    this.leases.forget(results);
    await this.publish(outcome);
  }

  /**
   * Writes each result on its own. One that fails for another reason than an outage is dropped,
   * logged, and its claim left to run out: another worker takes the message over (resolving it,
   * with a provider without idempotency keys). Answers false when PostgreSQL went away meanwhile
   * (what is left goes back to the buffer, retried later).
   */
  private async writeOneByOne(results: MessageResult[]): Promise<boolean> {
    for (const [i, result] of results.entries()) {
      try {
        await this.write([result]);
      } catch (error) {
        if (isTransient(error)) {
          this.buffer = [...results.slice(i), ...this.buffer];
          if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), 1_000);
          return false;
        }
        this.leases.forget([result]);
        this.logger.error(
          `Could not write the result of message ${result.seq} of batch ${result.batchId}; dropped, its claim runs out and the message is taken over`,
          (error as Error).stack,
        );
      }
    }
    return true;
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

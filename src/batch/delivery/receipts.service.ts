import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  MetricsService,
  type ReceiptObservation,
  type ReceiptState,
} from '../../metrics/metrics.service';
import { RECEIPT_RANKS, type ProviderReceipt, type ReceiptRecorder } from '../../sms/receipts';
import { BatchEvents } from '../events/batch-events';
import type { BatchRef } from '../events/batch-notices';
import {
  ReceiptsRepository,
  type AppliedReceipt,
  type ReceiptsOutcome,
  type Unapplied,
} from './receipts.repository';

/** Receipts per transaction at most; more wait for the next one. */
export const RECEIPTS_PER_WRITE = 1000;

interface Waiting {
  receipts: readonly ProviderReceipt[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The receipt recorder (sms/receipts.ts) of every process: `record` resolves once the receipts
 * are durable in PostgreSQL, so a webhook acknowledges only then. They are first kept
 * (pending_receipts: one INSERT that takes no batch lock, so a busy batch row never slows an
 * acknowledgement), concurrent callers sharing each INSERT (group commit: while one is in flight,
 * new receipts queue and go together in the next, up to RECEIPTS_PER_WRITE); a failed write
 * rejects its callers (the provider calls again). Kept receipts are then applied in groups of
 * their own (under the batch row locks, docs/ARCHITECTURE.md, "Delivery"), and the touched
 * batches' followers hear of it, also once the batch is final. A receipt whose message is not
 * known yet stays kept for the result write or the sweep.
 */
@Injectable()
export class ReceiptsService implements ReceiptRecorder, OnApplicationShutdown {
  private readonly logger = new Logger(ReceiptsService.name);
  private queue: Waiting[] = [];
  private writing: Promise<void> | undefined;
  /** Provider message ids kept and not yet applied. */
  private toApply = new Set<string>();
  private applying: Promise<void> | undefined;

  constructor(
    private readonly repository: ReceiptsRepository,
    private readonly events: BatchEvents,
    private readonly metrics: MetricsService,
  ) {}

  record(receipts: readonly ProviderReceipt[]): Promise<void> {
    if (!receipts.length) return Promise.resolve();
    const parts: Promise<void>[] = [];
    for (let i = 0; i < receipts.length; i += RECEIPTS_PER_WRITE) {
      const part = receipts.slice(i, i + RECEIPTS_PER_WRITE);
      parts.push(
        new Promise<void>((resolve, reject) =>
          this.queue.push({ receipts: part, resolve, reject }),
        ),
      );
    }
    this.writing ??= this.drain();
    return Promise.all(parts).then(() => undefined);
  }

  /** Waits for the writes in flight, so nothing acknowledged is cut off by the pool closing. */
  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once everything recorded so far was kept and applied (or left for the sweep). */
  async settled(): Promise<void> {
    while (this.writing || this.applying) {
      await this.writing;
      await this.applying;
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        const group: Waiting[] = [];
        let size = 0;
        while (this.queue.length && size + this.queue[0].receipts.length <= RECEIPTS_PER_WRITE) {
          const next = this.queue.shift()!;
          size += next.receipts.length;
          group.push(next);
        }
        await this.write(group);
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async write(group: Waiting[]): Promise<void> {
    const receipts = group.flatMap((waiting) => waiting.receipts);
    try {
      await this.repository.keep(receipts);
    } catch (error) {
      this.logger.warn(
        `Could not record ${receipts.length} receipt(s): ${(error as Error).message}`,
      );
      for (const waiting of group) waiting.reject(error as Error);
      return;
    }
    for (const waiting of group) waiting.resolve();
    for (const receipt of receipts) this.toApply.add(receipt.providerMessageId);
    this.applying ??= this.applyKept();
  }

  /** Applies what was kept, a group at a time; what fails stays kept for the sweep. */
  private async applyKept(): Promise<void> {
    try {
      while (this.toApply.size) {
        const ids: string[] = [];
        for (const id of this.toApply) {
          ids.push(id);
          if (ids.length === RECEIPTS_PER_WRITE) break;
        }
        for (const id of ids) this.toApply.delete(id);
        try {
          const { outcomes, unapplied } = await this.repository.applyKeptIsolating(ids);
          for (const outcome of outcomes) publishReceipts(outcome, this.events, this.metrics);
          logUnapplied(this.logger, unapplied);
        } catch (error) {
          this.logger.warn(
            `Could not apply ${ids.length} kept receipt(s), left for the sweep: ${(error as Error).message}`,
          );
        }
      }
    } finally {
      this.applying = undefined;
    }
  }
}

/** Kept receipts that could not be applied: they stay kept, for the sweep. */
export function logUnapplied(logger: Logger, unapplied: readonly Unapplied[]): void {
  for (const { ids, error } of unapplied) {
    const named = ids.length <= 5 ? ` (${ids.join(', ')})` : '';
    logger.warn(
      `Could not apply the kept receipts of ${ids.length} message(s)${named}, left kept: ${error.message}`,
    );
  }
}

/** After a commit that applied receipts: the notices for the batches, and the metrics. */
export function publishReceipts(
  outcome: Pick<ReceiptsOutcome, 'applied' | 'batches' | 'appeared'>,
  events: BatchEvents,
  metrics: MetricsService,
): void {
  events.progressed(outcome.batches);
  const owners = new Map<string, BatchRef>(outcome.batches.map((b) => [b.id, b]));
  for (const { batchId, category } of outcome.appeared) {
    const owner = owners.get(batchId);
    if (owner) events.errorAppeared(owner.accountId, batchId, category);
  }
  for (const receipt of outcome.applied) metrics.receiptApplied(receiptObservation(receipt));
}

/** What Prometheus counts of an applied receipt. */
export function receiptObservation(receipt: AppliedReceipt): ReceiptObservation {
  const state: ReceiptState =
    receipt.rank === RECEIPT_RANKS.final
      ? // As normalize (receipts.repository.ts) counts it: nothing says it arrived.
        (receipt.outcome ?? 'undelivered')
      : receipt.rank === RECEIPT_RANKS.sent
        ? 'sent'
        : 'accepted';
  return { state, category: receipt.category, latencyMs: receipt.latencyMs };
}

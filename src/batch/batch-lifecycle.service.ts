import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { BatchNotFound, InvalidTransition } from '../errors/domain-error';
import type { RetrySelection } from '../errors/error-taxonomy';
import { QuotaService } from '../quota/quota.service';
import { BatchRepository } from './batch.repository';
import { allowedFrom, type BatchAction } from './batch-transitions';
import { DispatchProducer, type QueueableBatch } from './dispatch/dispatch.producer';
import { DispatchRepository } from './dispatch/dispatch.repository';
import type { BatchEntity } from './entities/batch.entity';

/**
 * start, pause, resume and cancel: each one conditional update, so two concurrent actions cannot
 * both succeed; the ones that (re)start dispatch queue a new generation of chunk jobs. A batch
 * takes its daily quota in the transaction that first makes it sendable (start, or the resume of
 * a batch the quota paused), and retry-failed takes it for what it requeues; over the quota the
 * transaction rolls back with a 429.
 */
@Injectable()
export class BatchLifecycleService {
  private readonly logger = new Logger(BatchLifecycleService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: DispatchProducer,
    private readonly batches: BatchRepository,
    private readonly repository: DispatchRepository,
    private readonly quotas: QuotaService,
  ) {}

  async start(accountId: string, id: string): Promise<BatchEntity> {
    const { queueable, batch } = await this.transition(accountId, id, 'start', async (manager) => {
      const started = await this.batches.start(manager, accountId, id);
      // A pending batch has never taken its quota: all its messages are still to send.
      for (const { total, segments } of started) {
        const need = { messages: total, segments: Number(segments), what: 'this batch' };
        await this.quotas.take(manager, accountId, need);
      }
      return started;
    });
    await this.queue(queueable);
    return batch;
  }

  async pause(accountId: string, id: string): Promise<BatchEntity> {
    const { batch } = await this.transition(accountId, id, 'pause', (manager) =>
      this.batches.pause(manager, accountId, id),
    );
    return batch;
  }

  /** A batch the quota paused at its scheduled start takes its quota now, and starts. */
  async resume(accountId: string, id: string): Promise<BatchEntity> {
    const { queueable, batch } = await this.transition(accountId, id, 'resume', async (manager) => {
      const paused = await this.batches.lock(manager, accountId, id, 'resume');
      if (!paused) return [];
      // Never sendable before, so every message is still to send.
      if (!paused.quotaTaken) {
        const need = { messages: paused.total, segments: paused.segments, what: 'this batch' };
        await this.quotas.take(manager, accountId, need);
      }
      return this.batches.resume(manager, id);
    });
    await this.queue(queueable);
    return batch;
  }

  /** Unsent messages become cancelled; calls already in flight finish and are counted. */
  async cancel(accountId: string, id: string): Promise<BatchEntity> {
    const { batch } = await this.transition(accountId, id, 'cancel', async (manager) => {
      if (!(await this.batches.lock(manager, accountId, id, 'cancel'))) return [];
      await this.repository.cancelPending(manager, id);
      return this.batches.cancel(manager, id);
    });
    return batch;
  }

  /**
   * Failed messages the selection names go back to pending with their attempts reset, and
   * the counters with them. A finished batch reopens (processing); a processing one queues a new
   * generation, as its lanes may have passed those messages; a paused one keeps them for its
   * resume. The validity clock and the error-rate window restart. Answers how many messages were
   * requeued, whether the batch reopened, and the batch as the change left it; a cancelled batch
   * is a 409.
   */
  async retryFailed(
    accountId: string,
    id: string,
    selection: RetrySelection,
  ): Promise<{ requeued: number; reopened: boolean; batch: BatchEntity }> {
    let requeued = 0;
    let requeue = false;
    let reopened = false;
    const { queueable, batch } = await this.transition(
      accountId,
      id,
      'retry-failed',
      async (manager) => {
        const locked = await this.batches.lock(manager, accountId, id, 'retry-failed');
        if (!locked) return [];
        const segments = await this.repository.requeueFailed(manager, id, selection);
        requeued = segments.length;
        // They are sent again: they count again. A batch that never took its quota takes it
        // whole when it starts or resumes, these included.
        if (requeued && locked.quotaTaken) {
          const need = {
            messages: requeued,
            segments: segments.reduce((sum, n) => sum + n, 0),
            what: 'the requeued messages',
          };
          await this.quotas.take(manager, accountId, need);
        }
        // A paused batch keeps its requeued messages for its resume; the others queue them now.
        requeue = requeued > 0 && locked.status !== 'paused';
        reopened = requeue && locked.status !== 'processing';
        return this.batches.retryFailed(manager, id, requeued, requeue);
      },
    );
    if (requeue) await this.queue(queueable);
    return { requeued, reopened, batch };
  }

  /**
   * Runs one conditional transition in a transaction and answers the batch as it left it (read
   * under the row lock, so no later change shows). No row changed means the batch is unknown
   * (404, also for another account's) or in a status the action does not apply to (409).
   */
  private async transition(
    accountId: string,
    id: string,
    action: BatchAction,
    apply: (manager: EntityManager) => Promise<QueueableBatch[]>,
  ): Promise<{ queueable: QueueableBatch; batch: BatchEntity }> {
    const changed = await this.dataSource.transaction(async (manager) => {
      const [queueable] = await apply(manager);
      return queueable && { queueable, batch: await this.batches.find(manager, id) };
    });
    if (changed) return changed;
    const status = await this.batches.statusOf(this.dataSource.manager, accountId, id);
    if (!status) throw new BatchNotFound(id);
    throw new InvalidTransition(
      `Cannot ${action} a batch that is ${status}; ${action} applies to ${allowedFrom(action).join(', ')} batches.`,
    );
  }

  /**
   * Dispatch is queued after the commit, from the first message not yet final; if Redis is away,
   * the reconciler queues it later.
   */
  private async queue(batch: QueueableBatch): Promise<void> {
    try {
      const from = await this.repository.firstUnfinished(this.dataSource.manager, batch.id);
      if (from !== null) await this.producer.enqueue(batch, from);
    } catch (error) {
      this.logger.warn(
        `Could not queue batch ${batch.id} now; the reconciler will: ${(error as Error).message}`,
      );
    }
  }
}

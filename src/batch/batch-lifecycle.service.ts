import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { BatchNotFound, InvalidTransition } from '../errors/domain-error';
import { PROCESSING_MS_SO_FAR } from './batch-sql';
import { allowedFrom, type BatchAction } from './batch-transitions';
import { DispatchProducer, type QueueableBatch } from './dispatch/dispatch.producer';
import { DispatchRepository } from './dispatch/dispatch.repository';
import type { ErrorCategory } from '../errors/error-taxonomy';
import { ADD_TO_TIMELINE } from '../rate-limit/analytics/analytics.sql';
import { QuotaService } from '../quota/quota.service';
import { BatchEntity, type BatchStatus } from './entities/batch.entity';

const RETURNING = `RETURNING id, priority, total, generation`;

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
    private readonly repository: DispatchRepository,
    private readonly quotas: QuotaService,
  ) {}

  async start(accountId: string, id: string): Promise<BatchEntity> {
    const { queueable, batch } = await this.transition(accountId, id, 'start', async (manager) => {
      const started = await queryRows<QueueableBatch & { segments: string }>(
        manager,
        `UPDATE batches SET status = 'processing', started_at = now(), resumed_at = now(),
           generation = generation + 1, quota_taken = true
         WHERE id = $1 AND account_id = $2 AND status = 'pending' ${RETURNING}, segments`,
        [id, accountId],
      );
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
      queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'paused', pause_reason = 'Paused by a user.',
           processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL
         WHERE id = $1 AND account_id = $2 AND status = 'processing' ${RETURNING}`,
        [id, accountId],
      ),
    );
    return batch;
  }

  /** A batch the quota paused at its scheduled start takes its quota now, and starts. */
  async resume(accountId: string, id: string): Promise<BatchEntity> {
    const { queueable, batch } = await this.transition(accountId, id, 'resume', async (manager) => {
      const [paused] = await manager.query<
        { quota_taken: boolean; total: number; segments: string }[]
      >(
        `SELECT quota_taken, total, segments FROM batches
         WHERE id = $1 AND account_id = $2 AND status = 'paused' FOR UPDATE`,
        [id, accountId],
      );
      if (!paused) return [];
      // Never sendable before, so every message is still to send.
      if (!paused.quota_taken) {
        const need = {
          messages: paused.total,
          segments: Number(paused.segments),
          what: 'this batch',
        };
        await this.quotas.take(manager, accountId, need);
      }
      return queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'processing', pause_reason = NULL, resumed_at = now(),
           started_at = COALESCE(started_at, now()), quota_taken = true,
           generation = generation + 1, error_window = ''
         WHERE id = $1 ${RETURNING}`,
        [id],
      );
    });
    await this.queue(queueable);
    return batch;
  }

  /** Unsent messages become cancelled; calls already in flight finish and are counted. */
  async cancel(accountId: string, id: string): Promise<BatchEntity> {
    const { batch } = await this.transition(accountId, id, 'cancel', async (manager) => {
      const locked = await manager.query<{ id: string }[]>(
        `SELECT id FROM batches WHERE id = $1 AND account_id = $2
           AND status IN ('pending', 'processing', 'paused') FOR UPDATE`,
        [id, accountId],
      );
      if (!locked.length) return [];
      await this.repository.cancelPending(manager, id);
      return queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'cancelled', completed_at = now(),
           processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL
         WHERE id = $1 ${RETURNING}`,
        [id],
      );
    });
    return batch;
  }

  /**
   * Failed messages of the given categories go back to pending with their attempts reset, and
   * the counters with them. A finished batch reopens (processing); a processing one queues a new
   * generation, as its lanes may have passed those messages; a paused one keeps them for its
   * resume. The validity clock and the error-rate window restart. Answers how many messages were
   * requeued, whether the batch reopened, and the batch as the change left it; a cancelled batch
   * is a 409.
   */
  async retryFailed(
    accountId: string,
    id: string,
    categories: readonly ErrorCategory[],
  ): Promise<{ requeued: number; reopened: boolean; batch: BatchEntity }> {
    let requeued = 0;
    let requeue = false;
    let reopened = false;
    const { queueable, batch } = await this.transition(
      accountId,
      id,
      'retry-failed',
      async (manager) => {
        const [locked] = await manager.query<{ status: BatchStatus; quota_taken: boolean }[]>(
          `SELECT status, quota_taken FROM batches
         WHERE id = $1 AND account_id = $2 AND status = ANY($3)
         FOR UPDATE`,
          [id, accountId, allowedFrom('retry-failed')],
        );
        if (!locked) return [];
        const messages = await queryRows<{ segments: number }>(
          manager,
          `UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = NULL
         WHERE batch_id = $1 AND status = 'failed' AND last_error ->> 'category' = ANY($2)
         RETURNING segments`,
          [id, categories],
        );
        requeued = messages.length;
        // They are sent again: they count again. A batch that never took its quota takes it
        // whole when it starts or resumes, these included.
        if (requeued && locked.quota_taken) {
          const segments = messages.reduce((sum, message) => sum + Number(message.segments), 0);
          const need = { messages: requeued, segments, what: 'the requeued messages' };
          await this.quotas.take(manager, accountId, need);
        }
        // The timeline's failures keep adding up to the counter: they leave it now.
        if (requeued) {
          await manager.query(
            `WITH timeline_events AS (
             SELECT $1::uuid AS batch_id, now() AS ts, 0 AS sent, -$2::int AS failed, 0 AS throttled
           ), ${ADD_TO_TIMELINE}
           SELECT 1`,
            [id, requeued],
          );
        }
        // A paused batch keeps its requeued messages for its resume; the others queue them now.
        requeue = requeued > 0 && locked.status !== 'paused';
        reopened = requeue && locked.status !== 'processing';
        return queryRows<QueueableBatch>(
          manager,
          `UPDATE batches SET
           failed_count = failed_count - $2, pending_count = pending_count + $2,
           status = CASE WHEN $3 THEN 'processing' ELSE status END,
           completed_at = CASE WHEN $3 THEN NULL ELSE completed_at END,
           failure_reason = CASE WHEN $3 THEN NULL ELSE failure_reason END,
           resumed_at = CASE WHEN $3 AND status <> 'processing' THEN now() ELSE resumed_at END,
           generation = generation + CASE WHEN $3 THEN 1 ELSE 0 END,
           valid_from = CASE WHEN $2 > 0 THEN now() ELSE valid_from END,
           error_window = CASE WHEN $2 > 0 THEN '' ELSE error_window END
         WHERE id = $1 ${RETURNING}`,
          [id, requeued, requeue],
        );
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
      return queueable && { queueable, batch: await manager.findOneByOrFail(BatchEntity, { id }) };
    });
    if (changed) return changed;
    const [current] = await this.dataSource.query<{ status: BatchStatus }[]>(
      `SELECT status FROM batches WHERE id = $1 AND account_id = $2`,
      [id, accountId],
    );
    if (!current) throw new BatchNotFound(id);
    throw new InvalidTransition(
      `Cannot ${action} a batch that is ${current.status}; ${action} applies to ${allowedFrom(action).join(', ')} batches.`,
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

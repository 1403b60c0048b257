import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { BatchNotFound, InvalidTransition } from '../errors/domain-error';
import { PROCESSING_MS_SO_FAR } from './batch-sql';
import { allowedFrom, type BatchAction } from './batch-transitions';
import { DispatchProducer, type QueueableBatch } from './dispatch/dispatch.producer';
import { DispatchRepository } from './dispatch/dispatch.repository';
import type { BatchStatus } from './entities/batch.entity';

const RETURNING = `RETURNING id, priority, total, generation`;

/**
 * start, pause, resume and cancel: each one conditional update, so two concurrent actions cannot
 * both succeed; the ones that (re)start dispatch queue a new generation of chunk jobs.
 */
@Injectable()
export class BatchLifecycleService {
  private readonly logger = new Logger(BatchLifecycleService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: DispatchProducer,
    private readonly repository: DispatchRepository,
  ) {}

  async start(accountId: string, id: string): Promise<void> {
    const batch = await this.transition(accountId, id, 'start', (manager) =>
      queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'processing', started_at = now(), resumed_at = now(),
           generation = generation + 1
         WHERE id = $1 AND account_id = $2 AND status = 'pending' ${RETURNING}`,
        [id, accountId],
      ),
    );
    await this.queue(batch);
  }

  async pause(accountId: string, id: string): Promise<void> {
    await this.transition(accountId, id, 'pause', (manager) =>
      queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'paused', pause_reason = 'Paused by a user.',
           processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL
         WHERE id = $1 AND account_id = $2 AND status = 'processing' ${RETURNING}`,
        [id, accountId],
      ),
    );
  }

  async resume(accountId: string, id: string): Promise<void> {
    const batch = await this.transition(accountId, id, 'resume', (manager) =>
      queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'processing', pause_reason = NULL, resumed_at = now(),
           generation = generation + 1
         WHERE id = $1 AND account_id = $2 AND status = 'paused' ${RETURNING}`,
        [id, accountId],
      ),
    );
    await this.queue(batch);
  }

  /** Unsent messages become cancelled; calls already in flight finish and are counted. */
  async cancel(accountId: string, id: string): Promise<void> {
    await this.transition(accountId, id, 'cancel', async (manager) => {
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
  }

  /**
   * Runs one conditional transition in a transaction. No row changed means the batch is unknown
   * (404, also for another account's) or in a status the action does not apply to (409).
   */
  private async transition(
    accountId: string,
    id: string,
    action: BatchAction,
    apply: (manager: EntityManager) => Promise<QueueableBatch[]>,
  ): Promise<QueueableBatch> {
    const [changed] = await this.dataSource.transaction(apply);
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

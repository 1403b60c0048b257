// Every write to a batch row but its counters' moves in writeResults and expire (dispatch.repository.ts),
// which stay inside those single statements: each status change takes its allowed source statuses
// from the transition table (batch-transitions.ts), so no statement here names one of its own.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import type { BatchRef } from './events/batch-notices';
import { PROCESSING_MS_SO_FAR, validFrom } from './batch.sql';
import { allowedFrom, type Action, type BatchAction } from './batch-transitions';
import type { QueueableBatch } from './dispatch/dispatch.producer';
import { BatchEntity, type BatchStatus } from './entities/batch.entity';

const RETURNING = `RETURNING id, priority, total, generation`;

/** A batch as a transaction locked it for an action. */
export interface LockedBatch {
  status: BatchStatus;
  quotaTaken: boolean;
  total: number;
  segments: number;
}

/** A batch the reconciler repairs, and how. */
export interface ReconcileCandidate extends BatchRef {
  action: Extract<Action, 'expire' | 'cancel-expired-claims' | 'scheduled-start' | 'requeue'>;
  total: number;
  segments: number;
}

export interface ReconcileQuery {
  /** Batches Redis holds chunk jobs of. */
  withJobs: readonly string[];
  /** Redis lost its data: every processing batch with pending messages is queued afresh. */
  redisLost: boolean;
  /** A batch (re)started less than this ago may not have its jobs in Redis yet. */
  intervalMs: number;
  validityMs: number;
}

/**
 * The batch row's one writer. Every method runs in the caller's transaction (`manager`); writers
 * of several batches lock them in id order (lockForWrite), the one lock order of every writer.
 */
@Injectable()
export class BatchRepository {
  // A user's actions (batch-lifecycle.service.ts).

  /** pending → processing; the batch takes its quota in the same transaction. */
  start(
    manager: EntityManager,
    accountId: string,
    id: string,
  ): Promise<(QueueableBatch & { segments: string })[]> {
    return queryRows(
      manager,
      `UPDATE batches SET status = 'processing', started_at = now(), resumed_at = now(),
         generation = generation + 1, quota_taken = true
       WHERE id = $1 AND account_id = $2 AND status = ANY($3) ${RETURNING}, segments`,
      [id, accountId, allowedFrom('start')],
    );
  }

  pause(manager: EntityManager, accountId: string, id: string): Promise<QueueableBatch[]> {
    return queryRows(
      manager,
      `UPDATE batches SET status = 'paused', pause_reason = 'Paused by a user.',
         processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL
       WHERE id = $1 AND account_id = $2 AND status = ANY($3) ${RETURNING}`,
      [id, accountId, allowedFrom('pause')],
    );
  }

  /** Locks the account's batch when it may take `action`; undefined otherwise. */
  async lock(
    manager: EntityManager,
    accountId: string,
    id: string,
    action: BatchAction,
  ): Promise<LockedBatch | undefined> {
    const [row] = await manager.query<
      { status: BatchStatus; quota_taken: boolean; total: number; segments: string }[]
    >(
      `SELECT status, quota_taken, total, segments FROM batches
       WHERE id = $1 AND account_id = $2 AND status = ANY($3) FOR UPDATE`,
      [id, accountId, allowedFrom(action)],
    );
    return (
      row && {
        status: row.status,
        quotaTaken: row.quota_taken,
        total: row.total,
        segments: Number(row.segments),
      }
    );
  }

  /** paused → processing, with a new generation and a fresh error-rate window. */
  resume(manager: EntityManager, id: string): Promise<QueueableBatch[]> {
    return queryRows(
      manager,
      `UPDATE batches SET status = 'processing', pause_reason = NULL, resumed_at = now(),
         started_at = COALESCE(started_at, now()), quota_taken = true,
         generation = generation + 1, error_window = ''
       WHERE id = $1 AND status = ANY($2) ${RETURNING}`,
      [id, allowedFrom('resume')],
    );
  }

  cancel(manager: EntityManager, id: string): Promise<QueueableBatch[]> {
    return queryRows(
      manager,
      `UPDATE batches SET status = 'cancelled', completed_at = now(),
         processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL
       WHERE id = $1 AND status = ANY($2) ${RETURNING}`,
      [id, allowedFrom('cancel')],
    );
  }

  /**
   * `requeued` failed messages went back to pending: the counters follow, and when `reopen` the
   * batch (re)starts processing with a new generation. The validity clock and the error-rate
   * window restart when anything was requeued.
   */
  retryFailed(
    manager: EntityManager,
    id: string,
    requeued: number,
    reopen: boolean,
  ): Promise<QueueableBatch[]> {
    return queryRows(
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
       WHERE id = $1 AND status = ANY($4) ${RETURNING}`,
      [id, requeued, reopen, allowedFrom('retry-failed')],
    );
  }

  /** The account's batch's status, or undefined when it has none by that id. */
  async statusOf(
    manager: EntityManager,
    accountId: string,
    id: string,
  ): Promise<BatchStatus | undefined> {
    const [row] = await manager.query<{ status: BatchStatus }[]>(
      `SELECT status FROM batches WHERE id = $1 AND account_id = $2`,
      [id, accountId],
    );
    return row?.status;
  }

  /** The batch as the caller's transaction sees it. */
  find(manager: EntityManager, id: string): Promise<BatchEntity> {
    return manager.findOneByOrFail(BatchEntity, { id });
  }

  // The system's actions (dispatch and the reconciler).

  /** Locks batches in id order, for a write that moves their counters. */
  lockForWrite(manager: EntityManager, ids: readonly string[]): Promise<BatchRef[]> {
    return manager.query<BatchRef[]>(
      `SELECT id, account_id AS "accountId" FROM batches WHERE id = ANY($1) ORDER BY id
       FOR UPDATE`,
      [ids],
    );
  }

  /** Locks one batch and answers its status (undefined when it is gone). */
  async lockStatus(manager: EntityManager, id: string): Promise<BatchStatus | undefined> {
    const [row] = await manager.query<{ status: BatchStatus }[]>(
      `SELECT status FROM batches WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return row?.status;
  }

  /**
   * Locks, in id order, every batch the reconciler repairs, saying how: processing or paused
   * batches past their validity expire what they have left; cancelled or failed batches with
   * pending messages cancel their expired claims; auto-starting batches whose time has come start;
   * processing batches with pending messages and no chunk job in Redis are queued again.
   */
  reconcileCandidates(manager: EntityManager, q: ReconcileQuery): Promise<ReconcileCandidate[]> {
    // A batch with a send window expires per zone key (ReconcilerService, SendWindows).
    const expire = `(status = ANY($5) AND pending_count > 0 AND send_window IS NULL
      AND ${validFrom('batches')} < now() - make_interval(secs => $4::double precision / 1000))`;
    const cancelClaims = `(status = ANY($6) AND pending_count > 0)`;
    const scheduledStart = `(status = ANY($7) AND auto_start AND schedule_time <= now())`;
    const requeue = `(status = ANY($8) AND pending_count > 0 AND NOT (id = ANY($1))
      AND ($3 OR COALESCE(resumed_at, started_at)
                   < now() - make_interval(secs => $2::double precision / 1000)))`;
    return manager
      .query<(Omit<ReconcileCandidate, 'segments'> & { segments: string })[]>(
        `SELECT id, account_id AS "accountId", total, segments,
                CASE WHEN ${expire} THEN 'expire'
                     WHEN ${cancelClaims} THEN 'cancel-expired-claims'
                     WHEN ${scheduledStart} THEN 'scheduled-start'
                     ELSE 'requeue' END AS action
         FROM batches
         WHERE ${expire} OR ${cancelClaims} OR ${scheduledStart} OR ${requeue}
         ORDER BY id FOR UPDATE`,
        [
          q.withJobs,
          q.intervalMs,
          q.redisLost,
          q.validityMs,
          allowedFrom('expire'),
          allowedFrom('cancel-expired-claims'),
          allowedFrom('scheduled-start'),
          allowedFrom('requeue'),
        ],
      )
      .then((rows) => rows.map((row) => ({ ...row, segments: Number(row.segments) })));
  }

  /** A scheduled batch starts (it took its quota in this transaction). */
  async startScheduled(manager: EntityManager, id: string): Promise<QueueableBatch | undefined> {
    const [batch] = await queryRows<QueueableBatch>(
      manager,
      `UPDATE batches SET generation = generation + 1, status = 'processing', quota_taken = true,
         started_at = COALESCE(started_at, now()), resumed_at = now()
       WHERE id = $1 AND status = ANY($2) ${RETURNING}`,
      [id, allowedFrom('scheduled-start')],
    );
    return batch;
  }

  /** A scheduled batch the daily quota cannot take pauses, saying why; it takes it when resumed. */
  async pauseByQuota(manager: EntityManager, id: string, reason: string): Promise<boolean> {
    const paused = await queryRows<unknown>(
      manager,
      `UPDATE batches SET status = 'paused', pause_reason = $2, quota_taken = false
       WHERE id = $1 AND status = ANY($3) RETURNING id`,
      [id, reason, allowedFrom('quota-pause')],
    );
    return paused.length > 0;
  }

  /** A processing batch whose jobs are lost gets a new generation of them. */
  async requeue(manager: EntityManager, id: string): Promise<QueueableBatch | undefined> {
    const [batch] = await queryRows<QueueableBatch>(
      manager,
      `UPDATE batches SET generation = generation + 1, status = 'processing', quota_taken = true,
         started_at = COALESCE(started_at, now())
       WHERE id = $1 AND status = ANY($2) ${RETURNING}`,
      [id, allowedFrom('requeue')],
    );
    return batch;
  }

  /** The error-rate guard pauses a processing batch; resume restarts its window. */
  async pauseByGuard(manager: EntityManager, id: string, reason: string): Promise<boolean> {
    const paused = await queryRows<unknown>(
      manager,
      `UPDATE batches SET status = 'paused', pause_reason = $2,
         processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL
       WHERE id = $1 AND status = ANY($3) RETURNING id`,
      [id, reason, allowedFrom('guard-pause')],
    );
    return paused.length > 0;
  }

  /** Fails a batch with `reason` (our credentials were refused); the caller cancels its messages. */
  async fail(manager: EntityManager, id: string, reason: string): Promise<boolean> {
    const failed = await queryRows<unknown>(
      manager,
      `UPDATE batches SET status = 'failed', failure_reason = $2, completed_at = now(),
         processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL, pause_reason = NULL
       WHERE id = $1 AND status = ANY($3) RETURNING id`,
      [id, reason, allowedFrom('fail-batch')],
    );
    return failed.length > 0;
  }

  /**
   * Batches among `ids` with nothing pending finish: completed when anything was accepted, failed
   * otherwise. Every statement that can bring a pending count to zero is followed by this one.
   * Answers the ids that finished.
   */
  async finish(manager: EntityManager, ids: readonly string[]): Promise<string[]> {
    const finished = await queryRows<{ id: string }>(
      manager,
      `UPDATE batches SET
         status = CASE WHEN completed_count > 0 THEN 'completed' ELSE 'failed' END,
         failure_reason = CASE WHEN completed_count > 0 THEN NULL ELSE 'Every message failed.' END,
         completed_at = now(),
         processing_ms = ${PROCESSING_MS_SO_FAR},
         resumed_at = NULL,
         pause_reason = NULL
       WHERE id = ANY($1) AND pending_count = 0 AND status = ANY($2)
       RETURNING id`,
      [ids, allowedFrom('finish')],
    );
    return finished.map((row) => row.id);
  }

  /** Moves `count` messages of a batch from pending to cancelled in its counters. */
  async countCancelled(manager: EntityManager, id: string, count: number): Promise<void> {
    await manager.query(
      `UPDATE batches SET pending_count = pending_count - $2, cancelled_count = cancelled_count + $2
       WHERE id = $1`,
      [id, count],
    );
  }
}

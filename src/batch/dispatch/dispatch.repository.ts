// The SQL of dispatch: claiming messages, writing results with their counter deltas, releasing.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { queryRows } from '../../database/query-rows';
import { PROCESSING_MS_SO_FAR } from '../batch-sql';
import type { BatchStatus, Priority } from '../entities/batch.entity';
import type { MessageError } from '../entities/message.entity';

export interface ClaimedMessage {
  seq: number;
  id: string;
  phoneNumber: string;
  variables: Record<string, string>;
  /** The fencing token: a result is written only while the message still holds this claim. */
  token: number;
  /** Attempts made before this claim. */
  attempts: number;
}

export interface MessageResult {
  batchId: string;
  seq: number;
  token: number;
  /** `pending` when the message will be tried again at `nextAttemptAt`. */
  status: 'sent' | 'failed' | 'pending';
  nextAttemptAt: Date | null;
  /** Set when this answer stops the whole batch (our credentials were refused). */
  failsBatch: string | null;
  sentAt: Date | null;
  providerMessageId: string | null;
  lastError: MessageError | null;
  /** Whether the call counts as an attempt (rate-limit answers do not). */
  counted: boolean;
}

export interface DispatchableBatch {
  id: string;
  status: BatchStatus;
  priority: Priority;
  text: string;
  total: number;
  generation: number;
  startedAt: Date | null;
}

/** A message a claim may take now: pending and due, or claimed by a worker whose lease ran out. */
const CLAIMABLE = `(
  (status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
  OR (status = 'sending' AND claimed_until < now()))`;

/** Finishing SQL shared by every statement that can bring a batch's pending count to zero. */
const FINISH = `
  UPDATE batches SET
    status = CASE WHEN completed_count > 0 THEN 'completed' ELSE 'failed' END,
    failure_reason = CASE WHEN completed_count > 0 THEN NULL ELSE 'Every message failed.' END,
    completed_at = now(),
    processing_ms = ${PROCESSING_MS_SO_FAR},
    resumed_at = NULL
  WHERE id = ANY($1) AND pending_count = 0 AND status IN ('processing', 'paused')`;

@Injectable()
export class DispatchRepository {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {}

  async batch(id: string): Promise<DispatchableBatch | undefined> {
    const [row] = await this.dataSource.query<DispatchableBatch[]>(
      `SELECT id, status, priority, text, total, generation, started_at AS "startedAt"
       FROM batches WHERE id = $1`,
      [id],
    );
    return row;
  }

  async status(id: string): Promise<BatchStatus | undefined> {
    const [row] = await this.dataSource.query<{ status: BatchStatus }[]>(
      `SELECT status FROM batches WHERE id = $1`,
      [id],
    );
    return row?.status;
  }

  /**
   * The first position in [from, to) a claim could take now: pending, or claimed by a worker whose
   * lease ran out. Null when there is none.
   */
  async nextClaimable(batchId: string, from: number, to: number): Promise<number | null> {
    const [row] = await this.dataSource.query<{ seq: number }[]>(
      `SELECT seq FROM messages
       WHERE batch_id = $1 AND seq >= $2 AND seq < $3
         AND ${CLAIMABLE}
       ORDER BY seq LIMIT 1`,
      [batchId, from, to],
    );
    return row?.seq ?? null;
  }

  /**
   * In how many ms something in [from, to) becomes claimable (a claim another worker still holds
   * runs out, or a retry is due), on PostgreSQL's clock; null when nothing waits.
   */
  async nextDueInMs(batchId: string, from: number, to: number): Promise<number | null> {
    const [row] = await this.dataSource.query<{ ms: number | null }[]>(
      `SELECT ceil(extract(epoch FROM
                min(CASE WHEN status = 'sending' THEN claimed_until ELSE next_attempt_at END) - now()
              ) * 1000)::int AS ms
       FROM messages
       WHERE batch_id = $1 AND seq >= $2 AND seq < $3
         AND (status = 'sending' OR (status = 'pending' AND next_attempt_at > now()))`,
      [batchId, from, to],
    );
    return row?.ms ?? null;
  }

  /** The first position of a batch not yet final, or null: where a requeue starts. */
  async firstUnfinished(manager: EntityManager, batchId: string): Promise<number | null> {
    const [row] = await manager.query<{ seq: number }[]>(
      `SELECT seq FROM messages WHERE batch_id = $1 AND status IN ('pending', 'sending')
       ORDER BY seq LIMIT 1`,
      [batchId],
    );
    return row?.seq ?? null;
  }

  /**
   * Claims up to `limit` messages in [from, to) that are pending, or were claimed by a worker whose
   * lease ran out, while the batch is processing. One statement for many messages; the claim
   * token of each grows, fencing out any older claim's late result.
   */
  async claim(batchId: string, from: number, to: number, limit: number): Promise<ClaimedMessage[]> {
    return queryRows<ClaimedMessage>(
      this.dataSource.manager,
      `UPDATE messages m
       SET status = 'sending', claim_token = m.claim_token + 1,
           claimed_until = now() + make_interval(secs => $5::double precision / 1000)
       FROM (
         SELECT seq FROM messages
         WHERE batch_id = $1 AND seq >= $2 AND seq < $3
           AND ${CLAIMABLE}
         ORDER BY seq
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       ) c
       WHERE m.batch_id = $1 AND m.seq = c.seq
         AND EXISTS (SELECT 1 FROM batches b WHERE b.id = $1 AND b.status = 'processing')
       RETURNING m.seq, m.id, m.phone_number AS "phoneNumber", m.variables, m.claim_token AS token,
                 m.attempts`,
      [batchId, from, to, limit, this.config.claimLeaseMs],
    );
  }

  /**
   * Writes results and the counter deltas they cause in one transaction, then finishes batches
   * with nothing pending. A result whose claim was taken over (its token is stale) changes nothing.
   * Answers how many messages each batch had accepted.
   */
  async writeResults(results: readonly MessageResult[]): Promise<Map<string, number>> {
    const batchIds = [...new Set(results.map((r) => r.batchId))].sort();
    return this.dataSource.transaction(async (manager) => {
      // Batch rows first, in id order: the one lock order every writer of batches follows.
      await manager.query(`SELECT id FROM batches WHERE id = ANY($1) ORDER BY id FOR UPDATE`, [
        batchIds,
      ]);
      // Our credentials were refused: the batch fails at once and its unsent messages are cancelled.
      const failing = new Map(
        results.filter((r) => r.failsBatch).map((r) => [r.batchId, r.failsBatch!]),
      );
      for (const [batchId, reason] of failing) await this.failBatch(manager, batchId, reason);

      const accepted = await queryRows<{ id: string; sent: string }>(
        manager,
        `WITH r AS (
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::timestamptz[],
                                $6::text[], $7::jsonb[], $8::boolean[], $9::timestamptz[])
             AS r(batch_id, seq, token, status, sent_at, provider_message_id, last_error, counted,
                  next_attempt_at)
         ), written AS (
           UPDATE messages m SET
             -- A retry in a batch that was stopped meanwhile is never sent: it is cancelled.
             status = CASE WHEN r.status = 'pending' AND b.status IN ('cancelled', 'failed')
                           THEN 'cancelled' ELSE r.status END,
             attempts = m.attempts + CASE WHEN r.counted THEN 1 ELSE 0 END,
             sent_at = r.sent_at,
             provider_message_id = r.provider_message_id,
             last_error = r.last_error,
             next_attempt_at = r.next_attempt_at,
             claimed_until = NULL
           FROM r JOIN batches b ON b.id = r.batch_id
           WHERE m.batch_id = r.batch_id AND m.seq = r.seq AND m.claim_token = r.token
             AND m.status = 'sending'
           RETURNING m.batch_id, m.status
         ), deltas AS (
           SELECT batch_id,
                  count(*) FILTER (WHERE status = 'sent') AS sent,
                  count(*) FILTER (WHERE status = 'failed') AS failed,
                  count(*) FILTER (WHERE status = 'cancelled') AS cancelled
           FROM written GROUP BY batch_id
         )
         UPDATE batches b SET
           pending_count = b.pending_count - d.sent - d.failed - d.cancelled,
           completed_count = b.completed_count + d.sent,
           failed_count = b.failed_count + d.failed,
           cancelled_count = b.cancelled_count + d.cancelled
         FROM deltas d WHERE b.id = d.batch_id
         RETURNING b.id, d.sent`,
        [
          results.map((r) => r.batchId),
          results.map((r) => r.seq),
          results.map((r) => r.token),
          results.map((r) => r.status),
          results.map((r) => r.sentAt),
          results.map((r) => r.providerMessageId),
          results.map((r) => (r.lastError ? JSON.stringify(r.lastError) : null)),
          results.map((r) => r.counted),
          results.map((r) => r.nextAttemptAt),
        ],
      );
      await manager.query(FINISH, [batchIds]);
      return new Map(accepted.map((row) => [row.id, Number(row.sent)]));
    });
  }

  /**
   * Fails a batch (from processing or paused) with `reason`; its messages waiting to be sent are
   * cancelled, with the counters. Calls in flight finish and are written as they come.
   */
  private async failBatch(manager: EntityManager, batchId: string, reason: string): Promise<void> {
    const [failed] = await queryRows<{ id: string }>(
      manager,
      `UPDATE batches SET status = 'failed', failure_reason = $2, completed_at = now(),
         processing_ms = ${PROCESSING_MS_SO_FAR}, resumed_at = NULL, pause_reason = NULL
       WHERE id = $1 AND status IN ('processing', 'paused') RETURNING id`,
      [batchId, reason],
    );
    if (failed) await this.cancelPending(manager, batchId);
  }

  /**
   * Messages of a batch waiting to be sent (retries included) become cancelled, with the
   * counters. The caller holds the batch row's lock. Answers how many.
   */
  async cancelPending(manager: EntityManager, batchId: string): Promise<number> {
    const cancelled = await queryRows<unknown>(
      manager,
      `UPDATE messages SET status = 'cancelled' WHERE batch_id = $1 AND status = 'pending' RETURNING seq`,
      [batchId],
    );
    if (cancelled.length) await countCancelled(manager, batchId, cancelled.length);
    return cancelled.length;
  }

  /**
   * Gives claimed, unsent messages back: pending again, or cancelled when their batch was
   * cancelled meanwhile (with its counters).
   */
  async release(batchId: string, claims: readonly { seq: number; token: number }[]): Promise<void> {
    if (!claims.length) return;
    await this.dataSource.transaction(async (manager) => {
      const [batch] = await manager.query<{ status: BatchStatus }[]>(
        `SELECT status FROM batches WHERE id = $1 FOR UPDATE`,
        [batchId],
      );
      const cancelled = batch?.status === 'cancelled';
      const released = await queryRows<unknown>(
        manager,
        `UPDATE messages m SET status = $4, claimed_until = NULL
         FROM unnest($2::int[], $3::int[]) AS c(seq, token)
         WHERE m.batch_id = $1 AND m.seq = c.seq AND m.claim_token = c.token AND m.status = 'sending'
         RETURNING m.seq`,
        [
          batchId,
          claims.map((c) => c.seq),
          claims.map((c) => c.token),
          cancelled ? 'cancelled' : 'pending',
        ],
      );
      if (cancelled && released.length) await countCancelled(manager, batchId, released.length);
    });
  }

  /**
   * Claims of a cancelled batch that ran out (their worker died) become cancelled messages, with
   * the counters, so the batch's pending count reaches zero. Calling the provider again could send
   * a message the user cancelled, so the outcome stays unknown and lastError says so. Answers how
   * many.
   */
  async cancelExpiredClaims(manager: EntityManager, batchId: string): Promise<number> {
    const [batch] = await manager.query<{ status: BatchStatus }[]>(
      `SELECT status FROM batches WHERE id = $1 FOR UPDATE`,
      [batchId],
    );
    if (batch?.status !== 'cancelled') return 0;
    const cancelled = await queryRows<unknown>(
      manager,
      `UPDATE messages SET status = 'cancelled', claimed_until = NULL,
         last_error = '{"category": "unknown", "code": "OUTCOME_UNKNOWN", "message": "The worker stopped during the call and the batch was cancelled before the call could be repeated; the provider may have accepted it."}'
       WHERE batch_id = $1 AND status = 'sending' AND claimed_until < now()
       RETURNING seq`,
      [batchId],
    );
    if (cancelled.length) await countCancelled(manager, batchId, cancelled.length);
    return cancelled.length;
  }
}

/** Moves `count` messages of a batch from pending to cancelled in its counters. */
async function countCancelled(
  manager: EntityManager,
  batchId: string,
  count: number,
): Promise<void> {
  await manager.query(
    `UPDATE batches SET pending_count = pending_count - $2, cancelled_count = cancelled_count + $2
     WHERE id = $1`,
    [batchId, count],
  );
}

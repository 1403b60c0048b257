// Rows written straight into a migrated database, for the integration tier: an account, and a
// batch in any state with its messages, whose counters add up to what its messages say.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { BatchStatus } from '../../src/batch/entities/batch.entity';
import type { Priority } from '../../src/rate-limit/tier-rates';
import type { MessageError, MessageStatus } from '../../src/batch/entities/message.entity';
import { phoneNumber } from './batch.factory';

export async function insertAccount(
  db: DataSource,
  quota: { dailyMessages?: number } = {},
): Promise<string> {
  const [{ id }] = await db.query<{ id: string }[]>(
    `INSERT INTO accounts (name, daily_message_quota) VALUES ('it', $1) RETURNING id`,
    [quota.dailyMessages ?? null],
  );
  return id;
}

export interface MessageRow {
  /** Default: the seq-th of `phoneNumber` (test/factories/batch.factory.ts). */
  phoneNumber?: string;
  status?: MessageStatus;
  /**
   * Seconds from now the claim runs out, with status `sending`: default 60 (a live claim);
   * negative, a claim that ran out (its worker died during its call).
   */
  claimedForS?: number;
  claimToken?: number;
  attempts?: number;
  lastError?: MessageError | null;
  /** Seconds from now its next try may start (a retry waiting for its backoff). */
  nextAttemptInS?: number;
  /** Its stored route (routes.ts, routeKey); default none, as before routes. */
  route?: string;
  pinnedProvider?: string;
  claimProvider?: string;
}

export interface BatchRow {
  accountId: string;
  status?: BatchStatus;
  priority?: Priority;
  /** A number of pending messages, or each message. */
  messages?: number | MessageRow[];
  autoStart?: boolean;
  /** Seconds from now (negative: in the past). */
  scheduleInS?: number | null;
  /** Seconds before now the batch started; also its resumed_at when processing. */
  startedAgoS?: number | null;
  generation?: number;
  quotaTaken?: boolean;
}

/** Inserts a batch and its messages; answers its id. Defaults: processing, started 1 s ago. */
export async function insertBatch(db: DataSource, row: BatchRow): Promise<string> {
  const id = randomUUID();
  const messages: MessageRow[] =
    typeof row.messages === 'number' || row.messages === undefined
      ? Array.from({ length: row.messages ?? 3 }, () => ({}))
      : row.messages;
  const status = row.status ?? 'processing';
  const count = (...s: MessageStatus[]) =>
    messages.filter((m) => s.includes(m.status ?? 'pending')).length;
  const startedAgo = row.startedAgoS === undefined ? 1 : row.startedAgoS;
  await db.query(
    `INSERT INTO batches (id, account_id, text, variables, priority, status, auto_start,
       schedule_time, started_at, resumed_at, total, pending_count, completed_count, failed_count,
       cancelled_count, segments, encodings, generation, quota_taken)
     VALUES ($1, $2, 'Hi', '{}', $3, $4::text, $5,
       now() + make_interval(secs => $6::double precision),
       now() - make_interval(secs => $7::double precision),
       CASE WHEN $4::text = 'processing' THEN now() - make_interval(secs => $7::double precision) END,
       $8::int, $9, $10, $11, $12, $8::bigint, '{GSM-7}', $13, $14)`,
    [
      id,
      row.accountId,
      row.priority ?? 'normal',
      status,
      row.autoStart ?? true,
      row.scheduleInS ?? null,
      startedAgo,
      messages.length,
      count('pending', 'sending'),
      count('sent'),
      count('failed'),
      count('cancelled'),
      row.generation ?? (status === 'pending' ? 0 : 1),
      row.quotaTaken ?? status !== 'pending',
    ],
  );
  // The routing columns only when a message sets one, so a database migrated to before them
  // (test/integration/migrations.spec.ts) takes these rows too.
  const routed = messages.some((m) => m.route ?? m.pinnedProvider ?? m.claimProvider);
  await db.query(
    `INSERT INTO messages (batch_id, seq, id, phone_number, variables, status, segments, attempts,
       claim_token, claimed_until, last_error, next_attempt_at
       ${routed ? ', route, pinned_provider, claim_provider' : ''})
     SELECT $1, u.seq, gen_random_uuid(), u.phone, '{}', u.status, 1, u.attempts, u.token,
            CASE WHEN u.status = 'sending' THEN now() + make_interval(secs => u.claimed_for) END,
            u.last_error, now() + make_interval(secs => u.next_in)
            ${routed ? ', u.route, u.pinned, u.claimed_by' : ''}
     FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::int[], $7::double precision[],
                 $8::jsonb[], $9::double precision[], $10::text[], $11::text[], $12::text[])
       AS u(seq, phone, status, attempts, token, claimed_for, last_error, next_in, route, pinned,
            claimed_by)`,
    [
      id,
      messages.map((_, i) => i),
      messages.map((m, i) => m.phoneNumber ?? phoneNumber(i)),
      messages.map((m) => m.status ?? 'pending'),
      messages.map((m) => m.attempts ?? 0),
      messages.map((m) => m.claimToken ?? 0),
      messages.map((m) => m.claimedForS ?? 60),
      messages.map((m) => (m.lastError ? JSON.stringify(m.lastError) : null)),
      messages.map((m) => m.nextAttemptInS ?? null),
      messages.map((m) => m.route ?? null),
      messages.map((m) => m.pinnedProvider ?? null),
      messages.map((m) => m.claimProvider ?? null),
    ],
  );
  return id;
}

/** The batch's status and counters, and what its messages say they should be. */
export async function batchState(db: DataSource, id: string) {
  const [row] = await db.query<
    {
      status: BatchStatus;
      total: number;
      pending: number;
      completed: number;
      failed: number;
      cancelled: number;
      generation: number;
      failureReason: string | null;
      pauseReason: string | null;
      quotaTaken: boolean;
    }[]
  >(
    `SELECT status, total, pending_count AS pending, completed_count AS completed,
            failed_count AS failed, cancelled_count AS cancelled, generation,
            failure_reason AS "failureReason", pause_reason AS "pauseReason",
            quota_taken AS "quotaTaken"
     FROM batches WHERE id = $1`,
    [id],
  );
  const [counted] = await db.query<
    { pending: number; completed: number; failed: number; cancelled: number }[]
  >(
    `SELECT count(*) FILTER (WHERE status IN ('pending', 'sending'))::int AS pending,
            count(*) FILTER (WHERE status = 'sent')::int AS completed,
            count(*) FILTER (WHERE status = 'failed')::int AS failed,
            count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled
     FROM messages WHERE batch_id = $1`,
    [id],
  );
  return { ...row, counted };
}

export interface StoredMessage {
  phoneNumber: string;
  status: MessageStatus;
  attempts: number;
  providerMessageId: string | null;
  provider: string | null;
  pinnedProvider: string | null;
  lastError: MessageError | null;
  nextAttemptAt: Date | null;
}

/** The batch's messages by seq, as dispatch left them. */
export async function messagesOf(db: DataSource, id: string): Promise<StoredMessage[]> {
  return db.query<StoredMessage[]>(
    `SELECT phone_number AS "phoneNumber", status, attempts,
            provider_message_id AS "providerMessageId", provider,
            pinned_provider AS "pinnedProvider", last_error AS "lastError",
            next_attempt_at AS "nextAttemptAt"
     FROM messages WHERE batch_id = $1 ORDER BY seq`,
    [id],
  );
}

/** Message statuses by seq. */
export async function messageStatuses(db: DataSource, id: string): Promise<MessageStatus[]> {
  return (await messagesOf(db, id)).map((m) => m.status);
}

// The SQL of dispatch: claiming messages, writing results with their counter deltas, releasing.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In } from 'typeorm';
import {
  dispatchConfig,
  errorRateConfig,
  retryConfig,
  smsConfig,
  type DispatchConfig,
  type ErrorRateConfig,
  type RetryConfig,
  type SmsConfig,
  type SmsProviderName,
} from '../../config/configuration';
import { isSuppressed } from '../../consent/suppression.sql';
import { storableText } from '../../common/text';
import { queryRows } from '../../database/query-rows';
import { ACCEPTED, errorRatePauseReason, FAILED } from '../../errors/error-rate-guard';
import type { MessageParts } from '../../sms/sms-provider';
import {
  appearedCategories,
  isFirstInCategory,
  logFailures,
  withCategory,
} from '../../errors/error-log/error-log.sql';
import {
  isFailure,
  OUTCOME_UNKNOWN,
  type ErrorCategory,
  type RetrySelection,
} from '../../errors/error-taxonomy';
import type { BatchRef } from '../events/batch-notices';
import { ADD_CALL_STATS, ADD_PROVIDER_CALLS, addToTimeline } from '../analytics/analytics.sql';
import { sumCalls, sumProviderCalls, type CallObservation } from '../analytics/call-stats';
import { BatchRepository } from '../batch.repository';
import { validFrom } from '../batch.sql';
import { allowedFrom, STOPPED_STATUSES } from '../batch-transitions';
import type { Priority } from '../../rate-limit/tier-rates';
import { BatchEntity, type BatchStatus } from '../entities/batch.entity';
import {
  ReceiptsRepository,
  type MessageKey,
  type ReceiptsOutcome,
} from '../delivery/receipts.repository';
import type { MessageError, MessageResolution } from '../entities/message.entity';
import { uuidV7s } from '../../common/uuid-v7';
import { addProviderOptOuts, recordContacts } from '../../consent/consent.sql';
import { isProviderOptOut } from '../../consent/provider-opt-outs';
import { ProviderSenders } from '../../consent/provider-senders';
import type { SendWindow } from '../../config/send-window';

export interface ClaimedMessage {
  seq: number;
  id: string;
  phoneNumber: string;
  variables: Record<string, string>;
  /** The fencing token: a result is written only while the message still holds this claim. */
  token: number;
  /** Attempts made before this claim. */
  attempts: number;
  /** Taken over from a worker whose lease ran out during its call: the outcome of that is unknown. */
  reclaimed: boolean;
  /** The parts of a long message that earlier calls had sent (SendRequest.parts), if any. */
  parts: MessageParts | null;
  /** Where its calls must go, because an earlier call may have been accepted there (sticky). */
  pinned: SmsProviderName | null;
  /** Its zone key, when its batch has a send window (windows/send-window.ts). */
  sendZone: string | null;
}

/** A claim a worker holds on a message: its fencing token. */
export interface HeldClaim {
  batchId: string;
  seq: number;
  token: number;
}

/** A message a claim could take now, as it stands before the claim: what routing needs. */
export interface ClaimCandidate {
  seq: number;
  phoneNumber: string;
  /** Its stored route (routes.ts, routeKey); null for messages from before routes. */
  route: string | null;
  pinned: SmsProviderName | null;
  /** Claimed by a worker whose lease ran out. */
  reclaimed: boolean;
  /** Where that claim called. */
  claimProvider: SmsProviderName | null;
  segments: number;
  /** Its number is suppressed for the batch's account: it fails without a call (claimSuppressed). */
  suppressed: boolean;
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
  /**
   * The provider the call went to (SMS_PROVIDER's name), for the message log; null when nothing
   * reached a provider (an adapter's own refusal), which leaves the message's recorded provider as
   * it was.
   */
  provider: SmsProviderName | null;
  /**
   * Where the message's next call must go, because this one may have been accepted there
   * (provider-choice.ts, mayMove); null when any provider of its route may take it.
   */
  pinned: SmsProviderName | null;
  lastError: MessageError | null;
  /** Whether the call counts as an attempt (rate-limit answers do not). */
  counted: boolean;
  /** When the provider answered (or the call timed out). */
  at: Date;
  /** What the call tells the rate analytics; null when no call was made (a suppressed number). */
  call: CallObservation | null;
  /** How the adapter settled an unknown outcome, when this answer came from `resolve`. */
  resolution: MessageResolution | null;
  /** The parts the provider accepted of a long message sent part by part (SendResult.parts). */
  parts: MessageParts | null;
}

/** What a write changed, for the batch notices published after its commit. */
export interface WriteOutcome {
  /** Every batch the results belong to: their counters may have moved. */
  batches: BatchRef[];
  /** Batches whose status changed (failed, paused by the guard, finished), as the write left them. */
  transitioned: BatchEntity[];
  /** Failure categories that appeared in a batch for the first time. */
  appeared: { batchId: string; category: ErrorCategory }[];
  /** Kept receipts of the messages just accepted, applied in the same transaction. */
  receipts: ReceiptsOutcome;
}

/** What expiring a batch's messages changed. */
export interface ExpireOutcome {
  expired: number;
  /** The batch as it finished, when nothing was left. */
  finished: BatchEntity | null;
  appeared: ErrorCategory[];
}

/** What a worker checks of a batch before each send. */
export interface BatchView {
  status: BatchStatus;
  generation: number;
}

export interface DispatchableBatch {
  id: string;
  accountId: string;
  status: BatchStatus;
  priority: Priority;
  text: string;
  total: number;
  generation: number;
  startedAt: Date | null;
  /** When the clock of MESSAGE_VALIDITY_SECONDS started: at the start or the last reopening. */
  validFrom: Date | null;
  /**
   * No call for its messages was made before this: its first start (never moved by a reopening),
   * else its creation. Where a lookup of what the provider sent starts (SendRequest.since).
   */
  callsSince: Date;
  /** Its send window, and the zone keys of its messages (windows/send-windows.service.ts). */
  sendWindow: SendWindow | null;
  sendZones: string[];
}

/** A batch with a send window, for the reconciler's window pass. */
export interface WindowedBatchRow {
  id: string;
  accountId: string;
  status: BatchStatus;
  sendWindow: SendWindow;
  sendZones: string[];
  validFrom: Date | null;
}

/** A message a claim may take now: pending and due, or claimed by a worker whose lease ran out. */
const CLAIMABLE = `(
  (status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= now()))
  OR (status = 'sending' AND claimed_until < now()))`;

/** In statements whose $1 is a batch id: its account, for the suppression checks. */
const BATCH_ACCOUNT = '(SELECT account_id FROM batches WHERE id = $1)';

/**
 * A message of a zone key whose send window is open, as the parameter `p` lists them
 * (SendWindows.sendable); any message when `p` is null (the batch has no window).
 */
const IN_WINDOW = (p: string) => `(${p}::text[] IS NULL OR send_zone = ANY(${p}::text[]))`;

/** A message waiting to be sent, now or at its retry time, or whose worker died during its call. */
const UNSENT = (m: string) => `(
  ${m}.status = 'pending' OR (${m}.status = 'sending' AND ${m}.claimed_until < now()))`;

/**
 * In claim's RETURNING: the parts of message `m` stored for provider $5 (sms-provider.ts,
 * MessageParts), or null. Most batches have none: one probe of message_parts' primary key
 * (batch_id, seq, ...) for the claimed messages (`c`) says so, evaluated once per claim, and only
 * a claim with parts pays a probe per message (a claim of 500 took ~2.5 ms more with it on every
 * message).
 */
const CLAIMED_PARTS = (m: string) => `CASE
  WHEN EXISTS (SELECT 1 FROM message_parts WHERE batch_id = $1 AND seq = ANY(ARRAY(SELECT seq FROM c)))
  THEN (SELECT json_build_object(
                 'reference', min(p.reference), 'total', max(p.total),
                 'accepted', json_agg(json_build_object('part', p.part,
                                                        'providerMessageId', p.provider_message_id)
                                      ORDER BY p.part))
        FROM message_parts p
        WHERE p.batch_id = ${m}.batch_id AND p.seq = ${m}.seq AND p.provider = $5
        HAVING count(*) > 0)
  END`;

/**
 * In a claim whose $1 is the batch: the batch is processing and valid. A batch with a send window
 * has its validity per zone key: the claim takes only open keys with validity left
 * (SendWindows.sendable). `validityMs` is the parameter holding MESSAGE_VALIDITY_SECONDS in ms.
 */
const CLAIMING_BATCH = (validityMs: string) => `EXISTS (
  SELECT 1 FROM batches b WHERE b.id = $1 AND b.status = 'processing'
    AND (b.send_window IS NOT NULL
         OR ${validFrom('b')} > now() - make_interval(secs => ${validityMs}::double precision / 1000)))`;

/** A claim's RETURNING list (ClaimedMessage) over the claimed rows `m` and the CTE `c`. */
const CLAIMED = (parts: string) => `m.seq, m.id, m.phone_number AS "phoneNumber", m.variables,
  m.claim_token AS token, m.attempts,
  m.seq = ANY(ARRAY(SELECT seq FROM c WHERE reclaimed)) AS reclaimed,
  m.pinned_provider AS pinned, ${parts} AS parts, m.send_zone AS "sendZone"`;

/** The accepted parts of the results as parameters $17..$22 of writeResults, a row per part. */
function partParameters(results: readonly MessageResult[]): unknown[] {
  const rows = results.flatMap(({ batchId, seq, parts }) =>
    parts
      ? parts.accepted.map(({ part, providerMessageId }) => ({
          batchId,
          seq,
          part,
          total: parts.total,
          reference: parts.reference,
          providerMessageId,
        }))
      : [],
  );
  return [
    rows.map((r) => r.batchId),
    rows.map((r) => r.seq),
    rows.map((r) => r.part),
    rows.map((r) => r.total),
    rows.map((r) => r.reference),
    rows.map((r) => r.providerMessageId),
  ];
}

/**
 * $26 of writeResults: a fresh UUIDv7 for each result whose provider said the recipient opted
 * out (the id of the suppression it adds), null for the others.
 */
function optOutIds(results: readonly MessageResult[]): (string | null)[] {
  const ids = uuidV7s(results.filter((r) => isProviderOptOut(r.lastError)).length);
  return results.map((r) => (isProviderOptOut(r.lastError) ? ids.pop()! : null));
}

/** Messages failed per transaction when a batch's validity runs out. */
const EXPIRE_CHUNK = 10_000;

@Injectable()
export class DispatchRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchRepository,
    private readonly receipts: ReceiptsRepository,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
    @Inject(retryConfig.KEY) private readonly retry: RetryConfig,
    @Inject(errorRateConfig.KEY) private readonly errorRate: ErrorRateConfig,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
    private readonly senders: ProviderSenders,
  ) {}

  async batch(id: string): Promise<DispatchableBatch | undefined> {
    const [row] = await this.dataSource.query<DispatchableBatch[]>(
      `SELECT id, account_id AS "accountId", status, priority, text, total, generation,
              started_at AS "startedAt",
              ${validFrom('b')} AS "validFrom",
              COALESCE(started_at, created_at) AS "callsSince",
              send_window AS "sendWindow", send_zones AS "sendZones"
       FROM batches b WHERE id = $1`,
      [id],
    );
    return row;
  }

  /**
   * Which of these provider message ids another message than (batchId, seq) holds, by its written
   * result, one of its parts, or an adoption not yet written: a lookup resolving an unknown
   * outcome must not adopt another message's SMS (messages_provider_message_id_idx,
   * message_parts, adopted_provider_messages).
   */
  async takenProviderMessageIds(
    ids: readonly string[],
    { batchId, seq }: MessageKey,
  ): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT provider_message_id AS id FROM messages
        WHERE provider_message_id = ANY($1) AND (batch_id, seq) <> ($2::uuid, $3::int)
       UNION
       SELECT provider_message_id FROM message_parts
        WHERE provider_message_id = ANY($1) AND (batch_id, seq) <> ($2::uuid, $3::int)
       UNION
       SELECT provider_message_id FROM adopted_provider_messages
        WHERE provider_message_id = ANY($1) AND (batch_id, seq) <> ($2::uuid, $3::int)`,
      [ids, batchId, seq],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Reserves `providerMessageId` for the message (batchId, seq), in one statement: refused when
   * another message holds it (its written result) or reserved it first; granted again to the
   * message that reserved it (a resolution whose result was lost). Two lookups that found the
   * same SMS at once cannot both adopt it: the primary key lets one insert win.
   */
  async adopt(providerMessageId: string, { batchId, seq }: MessageKey) {
    const rows = await this.dataSource.query<unknown[]>(
      `INSERT INTO adopted_provider_messages (provider_message_id, batch_id, seq)
       SELECT $1, $2, $3
        WHERE NOT EXISTS (SELECT 1 FROM messages
                           WHERE provider_message_id = $1 AND (batch_id, seq) <> ($2::uuid, $3::int))
          AND NOT EXISTS (SELECT 1 FROM message_parts
                           WHERE provider_message_id = $1 AND (batch_id, seq) <> ($2::uuid, $3::int))
       ON CONFLICT (provider_message_id) DO UPDATE SET adopted_at = adopted_provider_messages.adopted_at
        WHERE adopted_provider_messages.batch_id = EXCLUDED.batch_id
          AND adopted_provider_messages.seq = EXCLUDED.seq
       RETURNING provider_message_id`,
      [providerMessageId, batchId, seq],
    );
    return rows.length === 1;
  }

  /** A batch's status and dispatch generation, or undefined when it is gone. */
  async view(id: string): Promise<BatchView | undefined> {
    const [row] = await this.dataSource.query<BatchView[]>(
      `SELECT status, generation FROM batches WHERE id = $1`,
      [id],
    );
    return row;
  }

  /**
   * The first position in [from, to) a claim could take now: pending, or claimed by a worker whose
   * lease ran out. Null when there is none.
   */
  async nextClaimable(
    batchId: string,
    from: number,
    to: number,
    open: readonly string[] | null = null,
  ): Promise<number | null> {
    const [row] = await this.dataSource.query<{ seq: number }[]>(
      `SELECT seq FROM messages
       WHERE batch_id = $1 AND seq >= $2 AND seq < $3
         AND ${CLAIMABLE} AND ${IN_WINDOW('$4')}
       ORDER BY seq LIMIT 1`,
      [batchId, from, to, open],
    );
    return row?.seq ?? null;
  }

  /**
   * In how many ms something in [from, to) becomes claimable (a claim another worker still holds
   * runs out, a retry is due, or a closed send window opens: `opensInMs`, by zone key), on
   * PostgreSQL's clock; null when nothing waits.
   */
  async nextDueInMs(
    batchId: string,
    from: number,
    to: number,
    opensInMs: ReadonlyMap<string, number> = new Map(),
  ): Promise<number | null> {
    const [row] = await this.dataSource.query<{ ms: number | null }[]>(
      `SELECT ceil(extract(epoch FROM
                min(CASE WHEN status = 'sending' THEN claimed_until
                         ELSE greatest(next_attempt_at,
                                       now() + make_interval(secs => w.ms / 1000)) END) - now()
              ) * 1000)::int AS ms
       FROM messages LEFT JOIN unnest($4::text[], $5::float8[]) AS w(zone, ms)
         ON w.zone = messages.send_zone
       WHERE batch_id = $1 AND seq >= $2 AND seq < $3
         AND (status = 'sending'
              OR (status = 'pending' AND (next_attempt_at > now() OR w.zone IS NOT NULL)))`,
      [batchId, from, to, [...opensInMs.keys()], [...opensInMs.values()]],
    );
    return row?.ms ?? null;
  }

  /**
   * Batches with a send window and messages left, processing or paused (whose validity still
   * runs): what the reconciler expires per zone and counts the messages outside their window of.
   */
  async windowedBatches(): Promise<WindowedBatchRow[]> {
    return this.dataSource.query<WindowedBatchRow[]>(
      `SELECT id, account_id AS "accountId", status, send_window AS "sendWindow",
              send_zones AS "sendZones", ${validFrom('b')} AS "validFrom"
       FROM batches b
       WHERE send_window IS NOT NULL AND pending_count > 0 AND status = ANY($1)`,
      [allowedFrom('expire')],
    );
  }

  /** Per zone key not in `open`, how many of the batch's messages wait pending for it. */
  async outsideWindow(batchId: string, open: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<{ zone: string; count: number }[]>(
      `SELECT send_zone AS zone, count(*)::int AS count FROM messages
       WHERE batch_id = $1 AND status = 'pending' AND send_zone IS NOT NULL
         AND NOT (send_zone = ANY($2::text[]))
       GROUP BY send_zone`,
      [batchId, open],
    );
    return new Map(rows.map((row) => [row.zone, row.count]));
  }

  /** What the batch's status shows of its messages outside their window; written only on change. */
  async recordOutsideWindow(
    batchId: string,
    outside: number,
    nextWindowAt: Date | null,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE batches SET outside_window = $2, next_window_at = $3
       WHERE id = $1 AND (outside_window, next_window_at) IS DISTINCT FROM ($2, $3::timestamptz)`,
      [batchId, outside, nextWindowAt],
    );
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
   * Up to `limit` messages in [from, to) a claim could take now, in order, unlocked: where
   * dispatch decides each one's provider before asking for permits and claiming (claimMessages).
   */
  async candidates(
    batchId: string,
    from: number,
    to: number,
    limit: number,
    open: readonly string[] | null = null,
  ): Promise<ClaimCandidate[]> {
    return this.dataSource.query<ClaimCandidate[]>(
      `SELECT seq, phone_number AS "phoneNumber", route, pinned_provider AS pinned,
              status = 'sending' AS reclaimed, claim_provider AS "claimProvider", segments,
              ${isSuppressed('messages.phone_number', BATCH_ACCOUNT)} AS suppressed
       FROM messages
       WHERE batch_id = $1 AND seq >= $2 AND seq < $3 AND ${CLAIMABLE} AND ${IN_WINDOW('$5')}
       ORDER BY seq LIMIT $4`,
      [batchId, from, to, limit, open],
    );
  }

  /**
   * Claims up to `limit` messages in [from, to) for `provider` (SMS_PROVIDER by default): the
   * first ones a claim could take whose call may go there (claimMessages).
   */
  async claim(
    batchId: string,
    from: number,
    to: number,
    limit: number,
    provider: SmsProviderName = this.sms.provider,
    open: readonly string[] | null = null,
  ): Promise<ClaimedMessage[]> {
    return this.claimWhere(batchId, limit, provider, 'seq >= $7 AND seq < $8', [from, to], open);
  }

  /**
   * Claims the messages `seqs` for `provider`, those that are still pending, or were claimed by a
   * worker whose lease ran out, while the batch is processing; one statement for many messages.
   * The claim token of each grows, fencing out any older claim's late result. A message pinned to
   * another provider (provider-choice.ts), or a dead worker's claim that called another, is left
   * alone. Each comes with the parts earlier calls of this provider sent, so the next call sends
   * only the others.
   */
  async claimMessages(
    batchId: string,
    seqs: readonly number[],
    provider: SmsProviderName,
    open: readonly string[] | null = null,
  ): Promise<ClaimedMessage[]> {
    if (!seqs.length) return [];
    // The bounds let the primary key be range-scanned whatever plan a generic prepared statement
    // gets (with `= ANY` alone a claim took ~100 ms on a 100,000-message batch).
    return this.claimWhere(
      batchId,
      seqs.length,
      provider,
      'seq >= $7 AND seq <= $8 AND seq = ANY($9::int[])',
      [Math.min(...seqs), Math.max(...seqs), seqs],
      open,
    );
  }

  /**
   * Claims the messages `seqs` whose number is suppressed for the batch's account, wherever they
   * were to go, while the batch is processing and valid: they fail with SUPPRESSED without a call
   * (DispatchService), through the usual result write and its fence. A message the provider may
   * already have taken (pinned, or a dead worker's claim) is not called again either: an opt-out
   * outweighs finishing a call in doubt.
   */
  async claimSuppressed(batchId: string, seqs: readonly number[]): Promise<ClaimedMessage[]> {
    if (!seqs.length) return [];
    return queryRows<ClaimedMessage>(
      this.dataSource.manager,
      `WITH c AS MATERIALIZED (
         SELECT seq, status = 'sending' AS reclaimed FROM messages
         WHERE batch_id = $1 AND seq >= $4 AND seq <= $5 AND seq = ANY($6::int[])
           AND ${CLAIMABLE}
           AND ${isSuppressed('messages.phone_number', BATCH_ACCOUNT)}
         ORDER BY seq
         FOR UPDATE SKIP LOCKED
       )
       UPDATE messages m
       SET status = 'sending', claim_token = m.claim_token + 1,
           claimed_until = now() + make_interval(secs => $2::double precision / 1000)
       WHERE m.batch_id = $1 AND m.seq = ANY(ARRAY(SELECT seq FROM c))
         AND ${CLAIMING_BATCH('$3')}
       RETURNING ${CLAIMED('NULL')}`,
      [
        batchId,
        this.config.claimLeaseMs,
        this.retry.validityMs,
        Math.min(...seqs),
        Math.max(...seqs),
        seqs,
      ],
    );
  }

  /**
   * `which` picks the messages by $7 and on (`whichParameters`). `open`: the zone keys whose send
   * window is open and whose validity is left (SendWindows.sendable); null without a window. A
   * batch with a window has its validity checked per zone by `open`, not by its validFrom.
   */
  private claimWhere(
    batchId: string,
    limit: number,
    provider: SmsProviderName,
    which: string,
    whichParameters: unknown[],
    open: readonly string[] | null,
  ): Promise<ClaimedMessage[]> {
    const openParameter = `$${7 + whichParameters.length}`;
    return queryRows<ClaimedMessage>(
      this.dataSource.manager,
      // The candidates are picked once, then updated by primary key. As a subquery joined in
      // FROM, the planner may rescan them per row; a rescan skips the rows this statement already
      // updated and locks the next ones, so the claim would take more than it has permits for.
      `WITH c AS MATERIALIZED (
         SELECT seq, status = 'sending' AS reclaimed FROM messages
         WHERE batch_id = $1 AND ${which}
           AND ${CLAIMABLE} AND ${IN_WINDOW(openParameter)}
           -- Where its call must go: a dead worker's claim where that worker called, a pinned
           -- message to its pin; any other anywhere.
           AND COALESCE(CASE WHEN status = 'sending' THEN COALESCE(claim_provider, $6) END,
                        pinned_provider, $5) = $5
           -- Suppressed since the round looked: left for the next round, which fails it.
           AND NOT ${isSuppressed('messages.phone_number', BATCH_ACCOUNT)}
         ORDER BY seq
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE messages m
       -- A dead worker's claim may have been sent where it called: pinned there from now on (SET
       -- reads the row as it was).
       SET status = 'sending', claim_token = m.claim_token + 1, claim_provider = $5,
           pinned_provider = CASE WHEN m.status = 'sending' THEN COALESCE(m.claim_provider, $6)
                                  ELSE m.pinned_provider END,
           claimed_until = now() + make_interval(secs => $3::double precision / 1000)
       WHERE m.batch_id = $1 AND m.seq = ANY(ARRAY(SELECT seq FROM c))
         AND ${CLAIMING_BATCH('$4')}
       RETURNING ${CLAIMED(CLAIMED_PARTS('m'))}`,
      [
        batchId,
        limit,
        this.config.claimLeaseMs,
        this.retry.validityMs,
        provider,
        this.sms.provider,
        ...whichParameters,
        open,
      ],
    );
  }

  /**
   * Extends by CLAIM_LEASE_MS, from now, the claims a live worker still holds, in one statement:
   * only a claim whose token still matches and whose lease has not run out (a lapsed claim may
   * already be another worker's; it is never revived). A row locked at this moment (its result
   * being written) is skipped, not waited for, so renewal never deadlocks with a write; the next
   * renewal takes it. Answers the claims renewed.
   */
  async renewClaims(claims: readonly HeldClaim[]): Promise<HeldClaim[]> {
    if (!claims.length) return [];
    return queryRows<HeldClaim>(
      this.dataSource.manager,
      `WITH c AS MATERIALIZED (
         SELECT m.batch_id, m.seq FROM messages m
         JOIN unnest($1::uuid[], $2::int[], $3::int[]) AS h(batch_id, seq, token)
           ON m.batch_id = h.batch_id AND m.seq = h.seq AND m.claim_token = h.token
         WHERE m.status = 'sending' AND m.claimed_until > now()
         FOR UPDATE OF m SKIP LOCKED
       )
       UPDATE messages m
       SET claimed_until = now() + make_interval(secs => $4::double precision / 1000)
       FROM c WHERE m.batch_id = c.batch_id AND m.seq = c.seq
       RETURNING m.batch_id AS "batchId", m.seq, m.claim_token AS token`,
      [
        claims.map((c) => c.batchId),
        claims.map((c) => c.seq),
        claims.map((c) => c.token),
        this.config.claimLeaseMs,
      ],
    );
  }

  /**
   * Writes results, the error log and the counter deltas they cause in one transaction, with the
   * contacts the accepted ones make and the suppressions a provider's "opted out" adds; pauses
   * the batches the error-rate guard stops, then finishes those with nothing pending. A result
   * whose claim was taken over (its token is stale) changes nothing.
   */
  async writeResults(written: readonly MessageResult[]): Promise<WriteOutcome> {
    const results = written.map(storableResult);
    const batchIds = [...new Set(results.map((r) => r.batchId))].sort();
    return this.dataSource.transaction(async (manager) => {
      // Batch rows first, in id order: the one lock order every writer of batches follows.
      const batches = await this.batches.lockForWrite(manager, batchIds);
      const transitioned = new Set<string>();
      // Our credentials were refused: the batch fails at once and its unsent messages are cancelled.
      const failing = new Map(
        results.filter((r) => r.failsBatch).map((r) => [r.batchId, r.failsBatch!]),
      );
      for (const [batchId, reason] of failing) {
        if (await this.failBatch(manager, batchId, reason)) transitioned.add(batchId);
      }

      const written = await queryRows<{
        id: string;
        window: string;
        appeared: ErrorCategory[] | null;
        accepted: string[] | null;
        partIds: string[] | null;
        parted: number[] | null;
        /** The results written as sent or failed, as `seq/token/status`. */
        finals: string[] | null;
      }>(
        manager,
        `WITH r AS (
           SELECT u.*, m.failed_categories AS categories
           FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::timestamptz[],
                       $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[],
                       $11::timestamptz[], $12::timestamptz[], $13::boolean[], $16::jsonb[],
                       $24::text[], $25::text[], $26::uuid[])
             AS u(batch_id, seq, token, status, sent_at, provider_message_id, category, code,
                  message, counted, next_attempt_at, at, logged, resolution, provider, pinned,
                  opt_out_id)
           JOIN messages m ON m.batch_id = u.batch_id AND m.seq = u.seq
         ), written AS (
           UPDATE messages m SET
             -- A retry in a batch that was stopped meanwhile is never sent: it is cancelled.
             status = CASE WHEN r.status = 'pending' AND b.status = ANY($15)
                           THEN 'cancelled' ELSE r.status END,
             attempts = m.attempts + CASE WHEN r.counted THEN 1 ELSE 0 END,
             sent_at = r.sent_at,
             provider_message_id = r.provider_message_id,
             provider = COALESCE(r.provider, m.provider),
             pinned_provider = r.pinned,
             last_error = CASE WHEN r.code IS NULL THEN NULL ELSE
               jsonb_build_object('category', r.category, 'code', r.code, 'message', r.message) END,
             next_attempt_at = r.next_attempt_at,
             claimed_until = NULL,
             -- Accepted: awaiting its receipt (the delivery counters derive awaiting from completed).
             delivery_status = CASE WHEN r.status = 'sent' THEN 'awaiting' ELSE m.delivery_status END,
             resolution = COALESCE(r.resolution, m.resolution),
             failed_categories = CASE WHEN r.logged
               THEN ${withCategory('m.failed_categories', 'r.category')}
               ELSE m.failed_categories END
           FROM r JOIN batches b ON b.id = r.batch_id
           WHERE m.batch_id = r.batch_id AND m.seq = r.seq AND m.claim_token = r.token
             AND m.status = 'sending'
           RETURNING m.batch_id, m.seq, r.token, m.status, m.attempts, m.segments,
                     m.provider_message_id, m.claim_provider, r.counted, r.logged,
                     r.at, r.sent_at, r.category, r.code, r.message,
                     ${isFirstInCategory('r.categories', 'r.category')} AS first_in_category,
                     b.account_id, m.phone_number, m.provider, r.opt_out_id
         ), contacts_sent AS (
           SELECT account_id, phone_number, COALESCE(provider, $23) AS provider,
                  -- A provider's "opted out" answer makes a contact too, so the account lists the
                  -- deployment-wide entry its batch caused; but it reached nobody, so it never
                  -- displaces a real send nor wins an inbound message's attribution.
                  CASE WHEN status = 'sent' THEN COALESCE(sent_at, at)
                       ELSE '-infinity'::timestamptz END AS sent_at
           FROM written WHERE status = 'sent' OR opt_out_id IS NOT NULL
         ), ${recordContacts('contacts_sent', '$27::jsonb')},
         opted_out AS (
           SELECT opt_out_id AS id, phone_number, code FROM written WHERE opt_out_id IS NOT NULL
         ), ${addProviderOptOuts('opted_out')},
         parts AS (
           -- The parts of the written results (a stale one's are left out with it), whatever
           -- their status: a refusal's parts are what the next call does not send again.
           SELECT p.*, w.status, w.claim_provider FROM unnest($17::uuid[], $18::int[], $19::int[], $20::int[],
                                            $21::int[], $22::text[])
             AS p(batch_id, seq, part, total, reference, provider_message_id)
           JOIN written w ON w.batch_id = p.batch_id AND w.seq = p.seq
         ), stored_parts AS (
           INSERT INTO message_parts (provider, provider_message_id, batch_id, seq, part, total,
                                      reference)
           SELECT COALESCE(claim_provider, $23), provider_message_id, batch_id, seq, part, total,
                  reference
           FROM parts
           ON CONFLICT DO NOTHING
         ), failures AS (
           SELECT batch_id, seq, attempts AS attempt, category, code, message,
                  status = 'pending' AS retried, at, first_in_category
           FROM written WHERE logged
         ), ${logFailures('failures', 'category_counts')},
         timeline_events AS (
           SELECT batch_id, CASE WHEN status = 'sent' THEN sent_at ELSE at END AS ts,
                  (status = 'sent')::int AS sent, (status = 'failed')::int AS failed,
                  (category IS NOT DISTINCT FROM 'rate_limited')::int AS throttled
           FROM written
           WHERE status IN ('sent', 'failed') OR category = 'rate_limited'
         ), ${addToTimeline('timeline_events')},
         deltas AS (
           SELECT batch_id,
                  count(*) FILTER (WHERE status = 'sent') AS sent,
                  count(*) FILTER (WHERE status = 'failed') AS failed,
                  count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                  COALESCE(sum(segments) FILTER (WHERE status = 'sent'), 0) AS segments,
                  -- The error-rate guard's outcomes, in the order the answers came.
                  COALESCE(string_agg(CASE WHEN status = 'sent' THEN '${ACCEPTED}' ELSE '${FAILED}' END,
                                      '' ORDER BY at, seq) FILTER (WHERE counted), '') AS outcomes,
                  array_agg(provider_message_id)
                    FILTER (WHERE status = 'sent' AND provider_message_id IS NOT NULL) AS accepted
           FROM written GROUP BY batch_id
         )
         -- The batch row's counters move here, in the statement that moves the messages they
         -- count; its status changes go through BatchRepository.
         UPDATE batches b SET
           pending_count = b.pending_count - d.sent - d.failed - d.cancelled,
           completed_count = b.completed_count + d.sent,
           failed_count = b.failed_count + d.failed,
           cancelled_count = b.cancelled_count + d.cancelled,
           segments_sent = b.segments_sent + d.segments,
           error_window = right(b.error_window || d.outcomes, $14)
         FROM deltas d WHERE b.id = d.batch_id
         RETURNING b.id, b.error_window AS window, d.accepted,
                   ${appearedCategories('category_counts', 'b.id')} AS appeared,
                   ARRAY(SELECT provider_message_id FROM parts WHERE batch_id = b.id) AS "partIds",
                   ARRAY(SELECT DISTINCT seq FROM parts
                          WHERE batch_id = b.id AND status = 'sent' AND total > 1) AS parted,
                   ARRAY(SELECT seq || '/' || token || '/' || status FROM written
                          WHERE batch_id = b.id AND status IN ('sent', 'failed')) AS finals`,
        [
          results.map((r) => r.batchId),
          results.map((r) => r.seq),
          results.map((r) => r.token),
          results.map((r) => r.status),
          results.map((r) => r.sentAt),
          results.map((r) => r.providerMessageId),
          results.map((r) => r.lastError?.category ?? null),
          results.map((r) => r.lastError?.code ?? null),
          results.map((r) => r.lastError?.message ?? null),
          results.map((r) => r.counted),
          results.map((r) => r.nextAttemptAt),
          results.map((r) => r.at),
          results.map(
            (r) => !!r.lastError && isFailure(r.lastError.category, r.status === 'failed'),
          ),
          this.errorRate.window,
          STOPPED_STATUSES,
          results.map((r) => (r.resolution ? JSON.stringify(r.resolution) : null)),
          ...partParameters(results),
          this.sms.provider,
          results.map((r) => r.provider),
          results.map((r) => r.pinned),
          optOutIds(results),
          this.senders.json,
        ],
      );
      // Every call happened, written or not (a stale result is a call too).
      const calls = results.flatMap(({ call }) => (call ? [call] : []));
      for (const [batchId, stats] of sumCalls(calls)) {
        await manager.query(ADD_CALL_STATS, [
          batchId,
          stats.throttleEvents,
          Math.round(stats.pausedMs),
          stats.lastRetryAfterMs,
          stats.lastRateLimit ? JSON.stringify(stats.lastRateLimit) : null,
          stats.waitMaxMs,
          stats.waitHistogram,
          stats.latencyHistogram,
        ]);
      }
      // Per provider: every call's latency, but sends and failures only of the results written.
      const finals = new Set(written.flatMap((w) => (w.finals ?? []).map((f) => `${w.id}/${f}`)));
      const finalOf = (r: MessageResult) =>
        r.status !== 'pending' && finals.has(`${r.batchId}/${r.seq}/${r.token}/${r.status}`)
          ? r.status
          : null;
      for (const stats of sumProviderCalls(
        results.flatMap((r) => (r.call ? [{ call: r.call, written: finalOf(r) }] : [])),
      )) {
        await manager.query(ADD_PROVIDER_CALLS, [
          stats.batchId,
          stats.provider,
          stats.sent,
          stats.failed,
          stats.latencyHistogram,
        ]);
      }
      // Receipts that came before these results (a provider may call back within milliseconds)
      // apply now, under the locks this transaction holds (docs/ARCHITECTURE.md, "Delivery"):
      // those of the results written as sent and of every part written (a stale result wrote
      // nothing; its receipts stay kept). A message accepted in parts takes what its parts say.
      const receipts = await this.receipts.applyKept(
        manager,
        written.flatMap((w) => [...(w.accepted ?? []), ...(w.partIds ?? [])]),
        written.flatMap((w) => (w.parted ?? []).map((seq) => ({ batchId: w.id, seq }))),
      );
      for (const { id, window } of written) {
        const reason = errorRatePauseReason(window, this.errorRate);
        if (reason && (await this.batches.pauseByGuard(manager, id, reason))) transitioned.add(id);
      }
      for (const id of await this.batches.finish(manager, batchIds)) transitioned.add(id);
      return {
        batches,
        // Read under the row locks: the states right after these changes.
        transitioned: transitioned.size
          ? await manager.findBy(BatchEntity, { id: In([...transitioned]) })
          : [],
        appeared: [
          ...written.flatMap(({ id, appeared }) =>
            (appeared ?? []).map((category) => ({ batchId: id, category })),
          ),
          ...receipts.appeared,
        ],
        receipts,
      };
    });
  }

  /**
   * Messages of a batch whose validity ran out (MESSAGE_VALIDITY_SECONDS after it started or was
   * reopened; with a send window, only those of the zone keys `zones`, whose window first opened
   * that long ago: SendWindows.expiredZones) fail with their last category, or `timeout` when they were never tried, with code
   * VALIDITY_EXPIRED; they are logged and counted, and the batch finishes if nothing is left. A
   * claim whose worker died is included: it cannot be repeated any more; with a provider that
   * honours no idempotency key it fails as `unknown`/OUTCOME_UNKNOWN (it may have been sent), as
   * does a message whose last failure was one. Works in transactions of
   * EXPIRE_CHUNK messages, so a large batch never holds its row lock for long. Answers how many.
   */
  async expire(
    batchId: string,
    idempotentProviders: readonly SmsProviderName[],
    chunkSize = EXPIRE_CHUNK,
    zones: readonly string[] | null = null,
  ): Promise<ExpireOutcome> {
    const total: ExpireOutcome = { expired: 0, finished: null, appeared: [] };
    for (;;) {
      const chunk = await this.dataSource.transaction((manager) =>
        this.expireChunk(manager, batchId, chunkSize, idempotentProviders, zones),
      );
      total.expired += chunk.expired;
      total.finished ??= chunk.finished;
      total.appeared.push(...chunk.appeared);
      if (chunk.expired < chunkSize) return total;
    }
  }

  private async expireChunk(
    manager: EntityManager,
    batchId: string,
    chunkSize: number,
    idempotentProviders: readonly SmsProviderName[],
    zones: readonly string[] | null,
  ): Promise<ExpireOutcome> {
    const status = await this.batches.lockStatus(manager, batchId);
    if (!status || !allowedFrom('expire').includes(status)) {
      return { expired: 0, finished: null, appeared: [] };
    }
    const [row] = await queryRows<{ expired: number; appeared: ErrorCategory[] | null }>(
      manager,
      // An expired claim (its worker died during the call) whose provider honours no idempotency
      // key may have been sent: it fails as an unknown outcome, which nothing resends by default.
      `WITH due AS (
         SELECT seq, failed_categories AS categories,
                CASE WHEN status = 'sending' AND NOT idempotent THEN 'unknown'
                     ELSE COALESCE(last_error ->> 'category', 'timeout') END AS category,
                CASE WHEN (status = 'sending' AND NOT idempotent)
                       OR last_error ->> 'code' = '${OUTCOME_UNKNOWN}' THEN '${OUTCOME_UNKNOWN}'
                     ELSE 'VALIDITY_EXPIRED' END AS code,
                CASE WHEN status = 'sending' AND NOT idempotent THEN $5
                     WHEN last_error ->> 'code' = '${OUTCOME_UNKNOWN}' THEN $6
                     ELSE $2 END AS message
         FROM messages,
              LATERAL (SELECT COALESCE(claim_provider, $7) = ANY($4::text[]) AS idempotent) i
         WHERE batch_id = $1 AND ${UNSENT('messages')} AND ${IN_WINDOW('$8')}
         ORDER BY seq LIMIT $3
       ), expired AS (
         UPDATE messages m SET status = 'failed', next_attempt_at = NULL, claimed_until = NULL,
           -- A dead worker's claim may have been sent where it called: a retry-failed goes there.
           pinned_provider = CASE WHEN m.status = 'sending'
                                  THEN COALESCE(m.pinned_provider, m.claim_provider, $7)
                                  ELSE m.pinned_provider END,
           last_error = jsonb_build_object('category', due.category, 'code', due.code,
                                           'message', due.message),
           failed_categories = ${withCategory('m.failed_categories', 'due.category')}
         FROM due
         WHERE m.batch_id = $1 AND m.seq = due.seq AND ${UNSENT('m')}
         RETURNING m.batch_id, m.seq, m.attempts AS attempt, due.category,
                   due.code, due.message, false AS retried, now() AS at,
                   ${isFirstInCategory('due.categories', 'due.category')} AS first_in_category
       ), ${logFailures('expired', 'category_counts')},
       timeline_events AS (SELECT batch_id, at AS ts, 0 AS sent, 1 AS failed, 0 AS throttled
                           FROM expired), ${addToTimeline('timeline_events')}
       -- The counters move with the messages, in this statement (see writeResults).
       UPDATE batches SET pending_count = pending_count - (SELECT count(*) FROM expired),
                          failed_count = failed_count + (SELECT count(*) FROM expired)
       WHERE id = $1
       RETURNING (SELECT count(*) FROM expired)::int AS expired,
                 ${appearedCategories('category_counts', '$1')} AS appeared`,
      [
        batchId,
        `Not accepted within MESSAGE_VALIDITY_SECONDS (${this.retry.validityMs / 1000} s) of ${zones ? 'the first opening of its send window' : "the batch's start"}.`,
        chunkSize,
        idempotentProviders,
        `The worker stopped during the call and the message's validity ran out before it could be resolved; the provider may have accepted it.`,
        `An earlier call's outcome is unknown and the message's validity ran out before it was tried again; the provider may have accepted it.`,
        this.sms.provider,
        zones,
      ],
    );
    const finished = await this.batches.finish(manager, [batchId]);
    return {
      expired: row?.expired ?? 0,
      finished: finished.length ? await this.batches.find(manager, batchId) : null,
      appeared: row?.appeared ?? [],
    };
  }

  /**
   * Fails a batch (from processing or paused) with `reason`; its messages waiting to be sent are
   * cancelled, with the counters. Calls in flight finish and are written as they come.
   */
  private async failBatch(
    manager: EntityManager,
    batchId: string,
    reason: string,
  ): Promise<boolean> {
    const failed = await this.batches.fail(manager, batchId, reason);
    if (failed) await this.cancelPending(manager, batchId);
    return failed;
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
    if (cancelled.length) await this.batches.countCancelled(manager, batchId, cancelled.length);
    return cancelled.length;
  }

  /**
   * Failed messages of a batch that `selection` names go back to pending with their attempts reset, and
   * leave the timeline's failures, which keep adding up to the counter. The caller holds the
   * batch row's lock and moves its counters. Answers the segments of each requeued message.
   */
  async requeueFailed(
    manager: EntityManager,
    batchId: string,
    { categories, exceptCodes }: RetrySelection,
  ): Promise<number[]> {
    const messages = await queryRows<{ segments: number }>(
      manager,
      `UPDATE messages SET status = 'pending', attempts = 0, next_attempt_at = NULL
       WHERE batch_id = $1 AND status = 'failed' AND last_error ->> 'category' = ANY($2)
         AND (last_error ->> 'code' = ANY($3)) IS NOT TRUE
       RETURNING segments`,
      [batchId, categories, exceptCodes],
    );
    if (messages.length) {
      await manager.query(
        `WITH requeued AS (
           SELECT $1::uuid AS batch_id, now() AS ts, 0 AS sent, -$2::int AS failed, 0 AS throttled
         ), ${addToTimeline('requeued')}
         SELECT 1`,
        [batchId, messages.length],
      );
    }
    return messages.map((message) => Number(message.segments));
  }

  /**
   * Gives claimed, unsent messages back: pending again, or cancelled when their batch was
   * cancelled or failed meanwhile (with its counters). An `unresolved` claim (a re-claim whose
   * earlier call's outcome is still unknown, for a provider without idempotency keys) stays
   * `sending` with its lease run out instead, so the next claim resolves it rather than sends it.
   */
  async release(
    batchId: string,
    claims: readonly { seq: number; token: number; unresolved?: boolean }[],
  ): Promise<{ cancelled: number }> {
    if (!claims.length) return { cancelled: 0 };
    return this.dataSource.transaction(async (manager) => {
      const status = await this.batches.lockStatus(manager, batchId);
      const cancelled = !!status && STOPPED_STATUSES.includes(status);
      // Per claim: cancelled with its batch, an unresolved re-claim kept as a claim run out, or
      // pending again; a cancelled re-claim keeps its doubt in lastError.
      const next = (c: (typeof claims)[number]) =>
        cancelled ? 'cancelled' : c.unresolved ? 'sending' : 'pending';
      const released = await queryRows<unknown>(
        manager,
        `UPDATE messages m
           SET status = c.next,
               claimed_until = CASE WHEN c.next = 'sending' THEN now() END,
               last_error = CASE WHEN c.unresolved AND c.next = 'cancelled'
                                 THEN jsonb_build_object('category', 'unknown', 'code', '${OUTCOME_UNKNOWN}',
                                        'message', $6::text)
                                 ELSE m.last_error END
         FROM unnest($2::int[], $3::int[], $4::text[], $5::bool[]) AS c(seq, token, next, unresolved)
         WHERE m.batch_id = $1 AND m.seq = c.seq AND m.claim_token = c.token AND m.status = 'sending'
         RETURNING m.seq`,
        [
          batchId,
          claims.map((c) => c.seq),
          claims.map((c) => c.token),
          claims.map(next),
          claims.map((c) => c.unresolved ?? false),
          'The worker stopped during an earlier call and the batch stopped before it could be resolved; the provider may have accepted it.',
        ],
      );
      if (!cancelled || !released.length) return { cancelled: 0 };
      await this.batches.countCancelled(manager, batchId, released.length);
      return { cancelled: released.length };
    });
  }

  /**
   * Claims of a cancelled or failed batch that ran out (their worker died) become cancelled messages, with
   * the counters, so the batch's pending count reaches zero. Calling the provider again could send
   * a message the user cancelled, so the outcome stays unknown and lastError says so. Answers how
   * many.
   */
  async cancelExpiredClaims(manager: EntityManager, batchId: string): Promise<number> {
    const status = await this.batches.lockStatus(manager, batchId);
    if (!status || !allowedFrom('cancel-expired-claims').includes(status)) return 0;
    const cancelled = await queryRows<unknown>(
      manager,
      `UPDATE messages SET status = 'cancelled', claimed_until = NULL,
         last_error = '{"category": "unknown", "code": "OUTCOME_UNKNOWN", "message": "The worker stopped during the call and the batch was cancelled or failed before the call could be repeated; the provider may have accepted it."}'
       WHERE batch_id = $1 AND status = 'sending' AND claimed_until < now()
       RETURNING seq`,
      [batchId],
    );
    if (cancelled.length) await this.batches.countCancelled(manager, batchId, cancelled.length);
    return cancelled.length;
  }
}

/**
 * A result whose provider-sent text PostgreSQL can store (common/text.ts, storableText): one NUL or
 * lone surrogate in a provider's code, message, id or lookup detail would fail the whole write.
 */
function storableResult(result: MessageResult): MessageResult {
  const { lastError, failsBatch, providerMessageId, resolution } = result;
  return {
    ...result,
    providerMessageId: providerMessageId && storableText(providerMessageId),
    failsBatch: failsBatch && storableText(failsBatch),
    lastError: lastError && {
      ...lastError,
      code: storableText(lastError.code),
      message: storableText(lastError.message),
    },
    resolution:
      resolution &&
      (JSON.parse(JSON.stringify(resolution), (_key, value: unknown) =>
        typeof value === 'string' ? storableText(value) : value,
      ) as MessageResolution),
  };
}

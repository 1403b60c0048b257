// The SQL of delivery receipts: applying them to messages with the batch's delivery counters, the
// analytics and the error log; keeping the ones that arrived before their message's send result;
// and marking messages whose receipt never came.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { deliveryConfig, type DeliveryConfig } from '../../config/configuration';
import { queryRows } from '../../database/query-rows';
import {
  appearedCategories,
  isFirstInCategory,
  logFailures,
  withCategory,
} from '../../errors/error-log/error-log.sql';
import type { ErrorCategory } from '../../errors/error-taxonomy';
import { RECEIPT_RANKS, type ProviderReceipt, type ReceiptRank } from '../../sms/receipts';
import {
  ADD_DELIVERY_LATENCY,
  addReceiptsByProvider,
  addToTimeline,
  DELIVERY_COUNTS,
} from '../analytics/analytics.sql';
import {
  BUCKET_BOUNDS_MS,
  bucketOf,
  DELIVERY_BUCKET_BOUNDS_MS,
  emptyHistogram,
} from '../analytics/histogram';
import { BatchRepository } from '../batch.repository';
import type { BatchRef } from '../events/batch-notices';
import { messageReceiptOf, type PartState } from './part-receipts';

/** A receipt that moved its message (a duplicate or a lower rank moves nothing). */
export interface AppliedReceipt {
  batchId: string;
  /** The provider's word. */
  status: string;
  rank: ReceiptRank;
  outcome: ProviderReceipt['outcome'];
  category: ErrorCategory | null;
  /** For a delivered or undelivered receipt: from the acceptance (sent_at) to the receipt. */
  latencyMs: number | null;
}

/** What applying receipts changed, for the notices and metrics published after the commit. */
export interface ReceiptsOutcome {
  applied: AppliedReceipt[];
  /** Batches whose delivery counters moved. */
  batches: BatchRef[];
  /** Failure categories that appeared in a batch for the first time. */
  appeared: { batchId: string; category: ErrorCategory }[];
}

export const NO_RECEIPTS: ReceiptsOutcome = { applied: [], batches: [], appeared: [] };

/** A message by its key. */
export interface MessageKey {
  batchId: string;
  seq: number;
}

/** Awaiting messages marked unknown per transaction (a range of seq). */
const TIMEOUT_CHUNK = 10_000;
/** Expired pending receipts deleted per statement. */
const ORPHAN_CHUNK = 10_000;
/** Kept receipts looked at per sweep transaction. */
const SWEEP_CHUNK = 1_000;
/** PostgreSQL's deadlock and serialization failures: the write is tried once more. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

/** Kept receipts that could not be applied, and the error. */
export interface Unapplied {
  ids: string[];
  error: Error;
}

/**
 * Whether the statement itself failed on what it was given (a SQLSTATE other than a lost
 * connection, a shutdown, exhausted resources or a rollback): a smaller group may succeed.
 */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|40|53|57)/.test(code);
}

interface PendingRow {
  provider: string;
  providerMessageId: string;
  status: string;
  rank: number;
  outcome: ProviderReceipt['outcome'];
  category: ErrorCategory | null;
  code: string | null;
  message: string | null;
  receivedAt: Date;
}

/** The receipts as parameters $1..$9, in the order RECEIPTS_UNNEST reads them. */
function receiptParameters(receipts: readonly ProviderReceipt[]): unknown[] {
  return [
    receipts.map((r) => r.provider),
    receipts.map((r) => r.providerMessageId),
    receipts.map((r) => r.status),
    receipts.map((r) => r.rank),
    receipts.map((r) => r.outcome),
    receipts.map((r) => r.error?.category ?? null),
    receipts.map((r) => r.error?.code ?? null),
    receipts.map((r) => r.error?.message ?? null),
    receipts.map((r) => r.receivedAt),
  ];
}

/** The rows of receiptParameters(), with their position (ord). */
const RECEIPTS_UNNEST = `unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],
                                $6::text[], $7::text[], $8::text[], $9::timestamptz[])
    WITH ORDINALITY AS u(provider, provider_message_id, status, rank, outcome, category, code,
                         message, received_at, ord)`;

const PENDING_COLUMNS = `provider, provider_message_id AS "providerMessageId", status, rank, outcome,
  category, error_code AS code, error_message AS message, received_at AS "receivedAt"`;

/**
 * Of one message's (or part's) receipts in a write, the one that counts first: the highest rank;
 * of several finals, the first that knows what became of it, then the first unknown.
 */
const RECEIPT_ORDER = `rank DESC, outcome IS NOT DISTINCT FROM 'unknown', received_at, ord`;

/**
 * Whether receipt `r` moves a message or part whose outcome and rank are these: never down. A
 * delivered or undelivered final is final (the first wins); a final `unknown` (the timeout's, or
 * a provider's that does not know) is replaced by a later final that knows, and by nothing else;
 * below that, only a higher rank moves it.
 */
function movesUp(outcome: string, rank: string, r: string): string {
  return `(${outcome} IS DISTINCT FROM 'delivered' AND ${outcome} IS DISTINCT FROM 'undelivered'
    AND (${r}.rank > COALESCE(${rank}, 0)
         OR (${r}.rank = ${RECEIPT_RANKS.final} AND ${r}.outcome <> 'unknown')))`;
}

/** How receipts find a part (message_parts' provider_message_id index), as a string. */
function partKey(provider: string, providerMessageId: string): string {
  return JSON.stringify([provider, providerMessageId]);
}

/**
 * docs/ARCHITECTURE.md, "Invariants": the delivery counters move in the statement that moves the
 * messages they count, under the batch row locks taken in id order (lockForWrite), as dispatch's
 * result writes do. A message never moves down: a receipt applies only above the message's rank,
 * and the first final receipt wins (but one after an `unknown` still applies). A message sent in
 * parts takes its receipt from its parts' (part-receipts.ts), each part moving by the same rules.
 */
@Injectable()
export class ReceiptsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batches: BatchRepository,
    @Inject(deliveryConfig.KEY) private readonly config: DeliveryConfig,
  ) {}

  /**
   * Stores receipts in pending_receipts, in one statement that takes no batch lock, so they are
   * durable at once however busy the batches' rows are; applyKeptOf() applies them next (and the
   * result write or the sweep, the ones whose message is not known yet). A duplicate is stored
   * once. Answers how many were new.
   */
  async keep(receipts: readonly ProviderReceipt[]): Promise<number> {
    if (!receipts.length) return 0;
    const normalized = receipts.map(normalize);
    const kept = await queryRows<unknown>(
      this.dataSource.manager,
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
                                     error_code, error_message, category, received_at, expires_at)
       SELECT DISTINCT ON (provider, provider_message_id, status)
              provider, provider_message_id, status, rank, outcome, code, message, category,
              received_at, now() + make_interval(secs => $10::double precision / 1000)
       FROM ${RECEIPTS_UNNEST}
       ORDER BY provider, provider_message_id, status, received_at, ord
       ON CONFLICT DO NOTHING
       RETURNING 1`,
      [...receiptParameters(normalized), this.config.orphanTtlMs],
    );
    return kept.length;
  }

  /**
   * Applies, in one transaction, the kept receipts of these provider message ids whose message
   * exists (accepted) or whose part is stored, and deletes them; the others stay kept. Null when
   * none of them exists.
   */
  applyKeptOf(providerMessageIds: readonly string[]): Promise<ReceiptsOutcome | null> {
    return this.dataSource.transaction(async (manager) => {
      // A part's receipt applies to its part row whatever its message's status (a message whose
      // first parts went before a refusal is pending), and moves the message once it is accepted.
      const found = await manager.query<{ batch_id: string; id: string }[]>(
        `SELECT batch_id, provider_message_id AS id FROM messages
         WHERE provider_message_id = ANY($1) AND status = 'sent'
         UNION
         SELECT batch_id, provider_message_id FROM message_parts
         WHERE provider_message_id = ANY($1) AND total > 1`,
        [providerMessageIds],
      );
      if (!found.length) return null;
      // Batches first, then the kept rows, as the receipts' own transactions take them.
      await this.batches.lockForWrite(manager, [...new Set(found.map((f) => f.batch_id))].sort());
      const kept = await queryRows<PendingRow>(
        manager,
        `DELETE FROM pending_receipts WHERE provider_message_id = ANY($1)
         RETURNING ${PENDING_COLUMNS}`,
        [found.map((f) => f.id)],
      );
      return this.apply(manager, kept.map(toReceipt));
    });
  }

  /**
   * applyKeptOf() in groups: a deadlock or serialization failure is tried once more; a group
   * that fails otherwise is halved until the receipts that apply are applied and each one that
   * makes the statement fail (a poisoned receipt) is left alone, kept. Answers each
   * transaction's outcome, and the ids that could not be applied with why.
   */
  async applyKeptIsolating(
    providerMessageIds: readonly string[],
  ): Promise<{ outcomes: ReceiptsOutcome[]; unapplied: Unapplied[] }> {
    const outcomes: ReceiptsOutcome[] = [];
    const unapplied: Unapplied[] = [];
    const attempt = async (ids: readonly string[]): Promise<void> => {
      try {
        const outcome = await this.applyKeptOf(ids).catch((error: Error & { code?: string }) => {
          if (!RETRYABLE_SQLSTATES.has(error.code ?? '')) throw error;
          return this.applyKeptOf(ids);
        });
        if (outcome) outcomes.push(outcome);
      } catch (error) {
        if (ids.length === 1 || !isStatementError(error)) {
          unapplied.push({ ids: [...ids], error: error as Error });
          return;
        }
        const half = Math.ceil(ids.length / 2);
        await attempt(ids.slice(0, half));
        await attempt(ids.slice(half));
      }
    };
    if (providerMessageIds.length) await attempt(providerMessageIds);
    return { outcomes, unapplied };
  }

  /**
   * Applies `receipts`, just taken out of pending_receipts: a part's receipt moves its part row,
   * and its message then takes what all its parts say (part-receipts.ts); the other receipts and
   * those derived ones move their messages (applyToMessages). `parted`: messages just accepted
   * in parts, whose parts may hold receipts already. Its callers take only receipts whose message
   * is accepted or whose part is stored (applyKeptOf, applyKept).
   */
  private async apply(
    manager: EntityManager,
    receipts: readonly ProviderReceipt[],
    parted: readonly MessageKey[] = [],
  ): Promise<ReceiptsOutcome> {
    if (!receipts.length && !parted.length) return NO_RECEIPTS;
    const normalized = receipts.map(normalize);
    const ids = [...new Set(normalized.map((r) => r.providerMessageId))];
    // Batch rows first, in id order: the one lock order of every writer of batches. The lock
    // also serialises the receipts of one message's parts: two transactions applying parts 2
    // and 3 each move their own part row and then read all the parts to derive the message's
    // receipt; without it, each could read the other's part before that commit and neither
    // would see every part delivered. With it, the second waits for the first to commit, and
    // its statements after the lock (READ COMMITTED) read the first's part row.
    const found = await manager.query<{ batch_id: string }[]>(
      `SELECT batch_id FROM messages WHERE provider_message_id = ANY($1)
       UNION SELECT batch_id FROM message_parts WHERE provider_message_id = ANY($1)
       UNION SELECT unnest($2::uuid[])`,
      [ids, parted.map((m) => m.batchId)],
    );
    const locked = await this.batches.lockForWrite(
      manager,
      found.map((row) => row.batch_id).sort(),
    );
    const { others, moved } = await this.applyToParts(manager, normalized);
    const derived = await this.derivedReceipts(manager, [...moved, ...parted]);
    return this.applyToMessages(manager, [...others, ...derived], locked);
  }

  /**
   * Receipts of parts (message_parts rows of a message sent as several) move their part rows,
   * never down, by the rules messages follow. Answers the other receipts, and the messages whose
   * parts moved. The caller holds the batches' locks.
   */
  private async applyToParts(
    manager: EntityManager,
    receipts: readonly ProviderReceipt[],
  ): Promise<{ others: ProviderReceipt[]; moved: MessageKey[] }> {
    const parts = await manager.query<{ id: string; provider: string }[]>(
      `SELECT provider_message_id AS id, provider FROM message_parts
       WHERE provider_message_id = ANY($1) AND total > 1`,
      [[...new Set(receipts.map((r) => r.providerMessageId))]],
    );
    if (!parts.length) return { others: [...receipts], moved: [] };
    const ofPart = new Set(parts.map((p) => partKey(p.provider, p.id)));
    const isPart = (r: ProviderReceipt) => ofPart.has(partKey(r.provider, r.providerMessageId));
    const moved = await queryRows<MessageKey>(
      manager,
      `WITH input AS (
         SELECT * FROM ${RECEIPTS_UNNEST}
       ), best AS (
         SELECT DISTINCT ON (provider_message_id, provider) * FROM input
         ORDER BY provider_message_id, provider, ${RECEIPT_ORDER}
       )
       UPDATE message_parts p SET
         status = r.status,
         rank = r.rank,
         outcome = r.outcome,
         error = CASE WHEN r.outcome = 'undelivered'
           THEN jsonb_build_object('category', r.category, 'code', r.code, 'message', r.message)
           END,
         received_at = r.received_at
       FROM best r
       WHERE p.provider_message_id = r.provider_message_id AND p.provider = r.provider
         AND p.total > 1 AND ${movesUp('p.outcome', 'p.rank', 'r')}
       RETURNING p.batch_id AS "batchId", p.seq`,
      receiptParameters(receipts.filter(isPart)),
    );
    return { others: receipts.filter((r) => !isPart(r)), moved };
  }

  /**
   * What accepted messages sent in parts take from their parts' receipts (part-receipts.ts), as
   * receipts under the message's own provider message id (its first part's).
   */
  private async derivedReceipts(
    manager: EntityManager,
    messages: readonly MessageKey[],
  ): Promise<ProviderReceipt[]> {
    if (!messages.length) return [];
    const rows = await manager.query<
      (PartState & { key: string; provider: string; providerMessageId: string })[]
    >(
      `SELECT p.batch_id || '/' || p.seq AS key, p.provider,
              m.provider_message_id AS "providerMessageId", p.part, p.total, p.status, p.rank,
              p.outcome, p.error, p.received_at AS "receivedAt"
       FROM (SELECT DISTINCT * FROM unnest($1::uuid[], $2::int[]) AS k(batch_id, seq)) k
       JOIN messages m ON m.batch_id = k.batch_id AND m.seq = k.seq
       JOIN message_parts p ON p.batch_id = k.batch_id AND p.seq = k.seq
       WHERE m.status = 'sent' AND m.provider_message_id IS NOT NULL AND p.total > 1`,
      [messages.map((m) => m.batchId), messages.map((m) => m.seq)],
    );
    const byMessage = new Map<string, typeof rows>();
    for (const row of rows) byMessage.set(row.key, [...(byMessage.get(row.key) ?? []), row]);
    return [...byMessage.values()].flatMap((parts) => {
      const derived = messageReceiptOf(parts);
      const [{ provider, providerMessageId }] = parts;
      return derived ? [{ provider, providerMessageId, ...derived }] : [];
    });
  }

  /**
   * Applies receipts, normalized, in one statement: finds their messages by provider message id,
   * moves them, their batches' delivery counters, the timeline, the latency histogram, the
   * receipt counts and the error log. `locked`: the batches whose locks the caller holds.
   */
  private async applyToMessages(
    manager: EntityManager,
    normalized: readonly ProviderReceipt[],
    locked: readonly BatchRef[],
  ): Promise<ReceiptsOutcome> {
    if (!normalized.length) return NO_RECEIPTS;
    const [row] = await queryRows<{
      applied: AppliedReceipt[];
      counted: { batchId: string; appeared: ErrorCategory[] | null }[];
    }>(
      manager,
      `WITH input AS (
         SELECT * FROM ${RECEIPTS_UNNEST}
       ), best AS (
         SELECT DISTINCT ON (provider_message_id) * FROM input
         ORDER BY provider_message_id, ${RECEIPT_ORDER}
       ), found AS (
         -- Each receipt finds its message through messages_provider_message_id_idx, whatever
         -- the statistics say: the subquery reads only by that key (OFFSET 0 keeps the batch
         -- and status filters out of it). Joined freely, a planner that misjudges a batch's
         -- fresh rows (statistics from before they were sent) reads every message of the batch
         -- once per receipt, seconds per group under the batch's lock.
         SELECT m.batch_id, m.seq, m.attempts, m.sent_at, m.delivery_status AS was,
                m.failed_categories AS categories, best.*
         FROM best CROSS JOIN LATERAL (
           SELECT batch_id, seq, attempts, sent_at, delivery_status, failed_categories, status
           FROM messages WHERE provider_message_id = best.provider_message_id OFFSET 0
         ) m
         WHERE m.batch_id = ANY($10) AND m.status = 'sent'
       ), changed AS (
         UPDATE messages m SET
           provider_status = f.status,
           receipt_rank = f.rank,
           delivery_status = CASE WHEN f.rank = ${RECEIPT_RANKS.final} THEN f.outcome
                                  ELSE m.delivery_status END,
           receipt_at = CASE WHEN f.rank = ${RECEIPT_RANKS.final} THEN f.received_at
                             ELSE m.receipt_at END,
           delivery_error = CASE WHEN f.rank = ${RECEIPT_RANKS.final} AND f.outcome = 'undelivered'
             THEN jsonb_build_object('category', f.category, 'code', f.code, 'message', f.message)
             ELSE m.delivery_error END,
           failed_categories = CASE WHEN f.rank = ${RECEIPT_RANKS.final} AND f.outcome = 'undelivered'
             THEN ${withCategory('m.failed_categories', 'f.category')}
             ELSE m.failed_categories END
         FROM found f
         WHERE m.batch_id = f.batch_id AND m.seq = f.seq
           AND ${movesUp('m.delivery_status', 'm.receipt_rank', 'f')}
         RETURNING m.batch_id, m.seq, f.attempts, f.sent_at, f.was, f.categories, f.status, f.rank,
                   f.outcome, f.category, f.code, f.message, f.received_at,
                   -- The provider that sent it; for a message sent before Salvo recorded that,
                   -- the one whose receipt this is.
                   COALESCE(m.provider, f.provider) AS provider
       ), finals AS (
         SELECT * FROM changed WHERE rank = ${RECEIPT_RANKS.final}
       ), failures AS (
         SELECT batch_id, seq, attempts AS attempt, category, code, message, false AS retried,
                received_at AS at, ${isFirstInCategory('categories', 'category')} AS first_in_category
         FROM finals WHERE outcome = 'undelivered'
       ), ${logFailures('failures', 'category_counts', 'delivery')},
       timeline_events AS (
         -- The timeline shows what was delivered or not; an unknown outcome is neither.
         SELECT batch_id, received_at AS ts, (outcome = 'delivered')::int AS delivered,
                (outcome = 'undelivered')::int AS undelivered
         FROM finals WHERE outcome <> 'unknown'
       ), ${addToTimeline('timeline_events', DELIVERY_COUNTS)},
       ${addReceiptsByProvider('finals')},
       receipt_counts AS (
         INSERT INTO batch_receipt_counts AS c (batch_id, status, category, count)
         SELECT batch_id, status, COALESCE(category, ''), count(*) FROM changed
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
         ON CONFLICT (batch_id, status, category) DO UPDATE SET count = c.count + excluded.count
       ), deltas AS (
         SELECT batch_id,
                count(*) FILTER (WHERE outcome = 'delivered') AS delivered,
                count(*) FILTER (WHERE outcome = 'undelivered') AS undelivered,
                -- Into unknown (a final that does not know), out of it (a final after the
                -- timeout's or an earlier unknown), or both (the timeout's, then an UNKNOWN).
                count(*) FILTER (WHERE outcome = 'unknown')
                  - count(*) FILTER (WHERE was = 'unknown') AS unknown
         FROM finals GROUP BY batch_id
       ), counted AS (
         -- The counters move here, with the messages they count (CHECK
         -- batches_delivery_within_completed).
         UPDATE batches b SET
           delivered_count = b.delivered_count + d.delivered,
           undelivered_count = b.undelivered_count + d.undelivered,
           delivery_unknown_count = b.delivery_unknown_count + d.unknown
         FROM deltas d WHERE b.id = d.batch_id
         RETURNING b.id, ${appearedCategories('category_counts', 'b.id')} AS appeared
       )
       SELECT
         (SELECT COALESCE(json_agg(json_build_object(
                   'batchId', batch_id, 'status', status, 'rank', rank, 'outcome', outcome, 'category', category,
                   'latencyMs', CASE WHEN outcome IN ('delivered', 'undelivered') AND sent_at IS NOT NULL
                     THEN GREATEST(0, extract(epoch FROM received_at - sent_at) * 1000) END)), '[]')
          FROM changed) AS applied,
         (SELECT COALESCE(json_agg(json_build_object('batchId', id, 'appeared', appeared)), '[]')
          FROM counted) AS counted`,
      [...receiptParameters(normalized), locked.map((b) => b.id)],
    );
    const histograms = new Map<string, number[]>();
    for (const receipt of row.applied) {
      if (receipt.latencyMs === null) continue;
      let histogram = histograms.get(receipt.batchId);
      if (!histogram) {
        histogram = emptyHistogram(DELIVERY_BUCKET_BOUNDS_MS);
        histograms.set(receipt.batchId, histogram);
      }
      histogram[bucketOf(receipt.latencyMs, DELIVERY_BUCKET_BOUNDS_MS)]++;
    }
    for (const [batchId, histogram] of [...histograms].sort(([a], [b]) => a.localeCompare(b))) {
      await manager.query(ADD_DELIVERY_LATENCY, [
        batchId,
        histogram,
        emptyHistogram(BUCKET_BOUNDS_MS),
      ]);
    }
    const counted = new Set(row.counted.map((c) => c.batchId));
    return {
      applied: row.applied,
      batches: locked.filter((b) => counted.has(b.id)),
      appeared: row.counted.flatMap(({ batchId, appeared }) =>
        (appeared ?? []).map((category) => ({ batchId, category })),
      ),
    };
  }

  /**
   * Applies and deletes the kept receipts of messages and parts whose send results this
   * transaction just wrote (dispatch's writeResults, which holds their batches' locks).
   * `parted`: the messages it accepted in parts, which take what their parts' receipts say.
   */
  async applyKept(
    manager: EntityManager,
    providerMessageIds: readonly string[],
    parted: readonly MessageKey[] = [],
  ): Promise<ReceiptsOutcome> {
    if (!providerMessageIds.length && !parted.length) return NO_RECEIPTS;
    const kept = await queryRows<PendingRow>(
      manager,
      `DELETE FROM pending_receipts WHERE provider_message_id = ANY($1) RETURNING ${PENDING_COLUMNS}`,
      [providerMessageIds],
    );
    return this.apply(manager, kept.map(toReceipt), parted);
  }

  /**
   * The sweep (worker processes): applies kept receipts whose message now exists (a receipt and
   * its send result written at the same time miss each other), one chunk per transaction;
   * answers what each transaction changed, and what could not be applied. Receipts kept less
   * than `graceMs` ago are left to the process that kept them, which is applying them
   * (ReceiptsService).
   */
  async applyOrphans(
    graceMs: number,
  ): Promise<{ outcomes: ReceiptsOutcome[]; unapplied: Unapplied[] }> {
    const outcomes: ReceiptsOutcome[] = [];
    const unapplied: Unapplied[] = [];
    // Every kept receipt is looked at, page by page in key order: kept receipts whose message
    // never comes (until they expire) must not hide the others.
    let after = '';
    for (;;) {
      const page = await this.dataSource.query<{ id: string }[]>(
        `SELECT DISTINCT provider_message_id AS id FROM pending_receipts
         WHERE provider_message_id > $1 AND expires_at > now()
           AND kept_at < now() - make_interval(secs => $3::double precision / 1000)
         ORDER BY provider_message_id LIMIT $2`,
        [after, SWEEP_CHUNK, graceMs],
      );
      if (!page.length) return { outcomes, unapplied };
      after = page[page.length - 1].id;
      const applied = await this.applyKeptIsolating(page.map((p) => p.id));
      outcomes.push(...applied.outcomes);
      unapplied.push(...applied.unapplied);
      if (page.length < SWEEP_CHUNK) return { outcomes, unapplied };
    }
  }

  /**
   * Deletes kept receipts past RECEIPT_ORPHAN_TTL_HOURS whose message (or part) never appeared;
   * answers how many, and how many expired ones stay because their message or part exists: they
   * could not be applied (a receipt that made the apply statement fail), and an operator should
   * look at them.
   */
  async deleteExpiredOrphans(): Promise<{ dropped: number; unapplied: number }> {
    let dropped = 0;
    for (;;) {
      const deleted = await queryRows<unknown>(
        this.dataSource.manager,
        `DELETE FROM pending_receipts WHERE ctid = ANY(ARRAY(
           SELECT p.ctid FROM pending_receipts p
           WHERE p.expires_at <= now()
             AND NOT EXISTS (SELECT 1 FROM messages m
                             WHERE m.provider_message_id = p.provider_message_id)
             AND NOT EXISTS (SELECT 1 FROM message_parts mp
                             WHERE mp.provider_message_id = p.provider_message_id)
           LIMIT $1))
         RETURNING 1`,
        [ORPHAN_CHUNK],
      );
      dropped += deleted.length;
      if (deleted.length < ORPHAN_CHUNK) break;
    }
    const [{ unapplied }] = await this.dataSource.query<{ unapplied: number }[]>(
      `SELECT count(*)::int AS unapplied FROM pending_receipts WHERE expires_at <= now()`,
    );
    return { dropped, unapplied };
  }

  /**
   * Messages accepted more than DELIVERY_RECEIPT_TIMEOUT_HOURS ago and still awaiting their
   * receipt become `unknown`, with the batch's counter. Only batches with something awaiting whose
   * first awaiting message (by position, a primary-key range scan that stops at it) was accepted
   * before the cutoff are read: dispatch accepts in position order, so a batch whose first awaiting
   * message is recent has nothing older (a retried message may hold the others back until it too
   * times out). Their messages are read from that position by primary key range, TIMEOUT_CHUNK
   * positions per transaction; the batch row is written only when something timed out. Answers
   * the batches whose counters moved.
   */
  async timeOutAwaiting(chunkSize = TIMEOUT_CHUNK): Promise<BatchRef[]> {
    const awaiting = await this.dataSource.query<{ id: string; total: number; first: number }[]>(
      `SELECT b.id, b.total, f.seq AS first FROM batches b
       CROSS JOIN LATERAL (
         SELECT seq, sent_at FROM messages m
         WHERE m.batch_id = b.id AND m.status = 'sent' AND m.delivery_status = 'awaiting'
         ORDER BY seq LIMIT 1
       ) f
       WHERE b.completed_count > b.delivered_count + b.undelivered_count + b.delivery_unknown_count
         AND f.sent_at < now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY b.id`,
      [this.config.receiptTimeoutMs],
    );
    const moved: BatchRef[] = [];
    for (const { id, total, first } of awaiting) {
      let count = 0;
      let ref: BatchRef | undefined;
      for (let from = first; from < total; from += chunkSize) {
        const result = await this.dataSource.transaction(async (manager) => {
          const [locked] = await this.batches.lockForWrite(manager, [id]);
          const [row] = await queryRows<{ unknown: number }>(
            manager,
            `WITH timed_out AS (
               UPDATE messages SET delivery_status = 'unknown'
               WHERE batch_id = $1 AND seq >= $2 AND seq < $3 AND status = 'sent'
                 AND delivery_status = 'awaiting'
                 AND sent_at < now() - make_interval(secs => $4::double precision / 1000)
               RETURNING 1
             )
             UPDATE batches SET delivery_unknown_count = delivery_unknown_count
                                                         + (SELECT count(*) FROM timed_out)
             WHERE id = $1 AND EXISTS (SELECT 1 FROM timed_out)
             RETURNING (SELECT count(*) FROM timed_out)::int AS unknown`,
            [id, from, from + chunkSize, this.config.receiptTimeoutMs],
          );
          return { locked, unknown: row?.unknown ?? 0 };
        });
        ref ??= result.locked;
        count += result.unknown;
      }
      if (count && ref) moved.push(ref);
    }
    return moved;
  }
}

/**
 * A receipt as the statement needs it: below final, no outcome; a final one without an outcome
 * counts as undelivered (nothing says it arrived); an undelivered one always says why, and a
 * provider that gave no reason leaves it unknown; a delivered or unknown one carries no error.
 */
function normalize(received: ProviderReceipt): ProviderReceipt {
  if (received.rank !== RECEIPT_RANKS.final) return { ...received, outcome: null, error: null };
  const receipt: ProviderReceipt = { ...received, outcome: received.outcome ?? 'undelivered' };
  // Delivered, or unknown to the provider itself: neither is a failure to log.
  if (receipt.outcome !== 'undelivered') return { ...receipt, error: null };
  if (receipt.error) return receipt;
  return {
    ...receipt,
    error: {
      category: 'unknown',
      code: receipt.status,
      message: `The provider reported the message ${receipt.status} without a reason.`,
    },
  };
}

function toReceipt(row: PendingRow): ProviderReceipt {
  return {
    provider: row.provider,
    providerMessageId: row.providerMessageId,
    status: row.status,
    rank: row.rank as ProviderReceipt['rank'],
    outcome: row.outcome,
    error:
      row.category && row.code !== null
        ? { category: row.category, code: row.code, message: row.message ?? '' }
        : null,
    receivedAt: new Date(row.receivedAt),
  };
}

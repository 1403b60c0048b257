// Delivery receipts on the real PostgreSQL: ranks that never move a message down, duplicates,
// finals before `sent`, receipts that arrive before their send result (kept, then applied by the
// result write or the sweep), the timeout's `unknown` and a late final after it, group commit, and
// delivery counters that add up to the accepted messages after every step.
import { EntityManager, type DataSource } from 'typeorm';
import {
  NO_RECEIPTS,
  type ReceiptsOutcome,
  type ReceiptsRepository,
} from '../../src/batch/delivery/receipts.repository';
import { ReceiptsService } from '../../src/batch/delivery/receipts.service';
import { DeliverySweeper } from '../../src/batch/delivery/delivery-sweeper.service';
import { deliveryConfig, dispatchConfig } from '../../src/config/configuration';
import type { DispatchRepository } from '../../src/batch/dispatch/dispatch.repository';
import type { BatchEvents } from '../../src/batch/events/batch-events';
import type { BatchRef } from '../../src/batch/events/batch-notices';
import { ErrorLogRepository } from '../../src/errors/error-log/error-log.repository';
import { ErrorLogService } from '../../src/errors/error-log/error-log.service';
import { MetricsService } from '../../src/metrics/metrics.service';
import { RECEIPT_RANKS, type ProviderReceipt } from '../../src/sms/receipts';
import { insertAccount, insertBatch } from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository, newReceiptsRepository, resultOf } from './support/services';

type Kind = 'queued' | 'sent' | 'delivered' | 'undelivered';

function receipt(providerMessageId: string, kind: Kind, receivedAt = new Date()): ProviderReceipt {
  const final = kind === 'delivered' || kind === 'undelivered';
  return {
    provider: 'simulated',
    providerMessageId,
    status: kind,
    rank: final
      ? RECEIPT_RANKS.final
      : kind === 'sent'
        ? RECEIPT_RANKS.sent
        : RECEIPT_RANKS.accepted,
    outcome: final ? kind : null,
    error:
      kind === 'undelivered'
        ? { category: 'unreachable', code: '30003', message: 'Unreachable destination handset.' }
        : null,
    receivedAt,
  };
}

/** A final receipt of a provider that does not know what became of the message (SMPP's UNKNOWN). */
function unknownReceipt(providerMessageId: string, receivedAt = new Date()): ProviderReceipt {
  return {
    ...receipt(providerMessageId, 'delivered', receivedAt),
    status: 'UNKNOWN',
    outcome: 'unknown',
  };
}

/** The delivery counters, what the messages say they should be, and awaiting as the API derives it. */
async function delivery(db: DataSource, batchId: string) {
  const [row] = await db.query<
    {
      completed: number;
      delivered: number;
      undelivered: number;
      unknown: number;
      counted: { delivered: number; undelivered: number; unknown: number; awaiting: number };
    }[]
  >(
    `SELECT completed_count AS completed, delivered_count AS delivered,
            undelivered_count AS undelivered, delivery_unknown_count AS unknown,
            (SELECT json_build_object(
                      'delivered', count(*) FILTER (WHERE delivery_status = 'delivered'),
                      'undelivered', count(*) FILTER (WHERE delivery_status = 'undelivered'),
                      'unknown', count(*) FILTER (WHERE delivery_status = 'unknown'),
                      'awaiting', count(*) FILTER (WHERE delivery_status = 'awaiting'))
             FROM messages WHERE batch_id = b.id) AS counted
     FROM batches b WHERE id = $1`,
    [batchId],
  );
  const awaiting = row.completed - row.delivered - row.undelivered - row.unknown;
  // The counters are exact: they equal the messages' states, and the four add up to completed.
  expect({
    delivered: row.delivered,
    undelivered: row.undelivered,
    unknown: row.unknown,
    awaiting,
  }).toEqual(row.counted);
  expect(row.delivered + row.undelivered + row.unknown + awaiting).toBe(row.completed);
  return { delivered: row.delivered, undelivered: row.undelivered, unknown: row.unknown, awaiting };
}

async function messageOf(db: DataSource, providerMessageId: string) {
  const [row] = await db.query<
    {
      deliveryStatus: string | null;
      providerStatus: string | null;
      receiptAt: Date | null;
      deliveryError: unknown;
    }[]
  >(
    `SELECT delivery_status AS "deliveryStatus", provider_status AS "providerStatus",
            receipt_at AS "receiptAt", delivery_error AS "deliveryError"
     FROM messages WHERE provider_message_id = $1`,
    [providerMessageId],
  );
  return row;
}

describe('ReceiptsRepository', () => {
  let db: MigratedDatabase;
  let dispatch: DispatchRepository;
  let receipts: ReceiptsRepository;
  let accountId: string;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    dispatch = newDispatchRepository(db.dataSource);
    receipts = newReceiptsRepository(db.dataSource);
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  /** As the receipt recorder does: keeps the receipts, then applies those whose message exists. */
  async function record(received: ProviderReceipt[]): Promise<ReceiptsOutcome> {
    await receipts.keep(received);
    const ids = [...new Set(received.map((r) => r.providerMessageId))];
    return (await receipts.applyKeptOf(ids)) ?? NO_RECEIPTS;
  }

  /** A processing batch of `count` messages; answers it and the claims of its messages. */
  async function claimedBatch(count: number) {
    const id = await insertBatch(db.dataSource, { accountId, messages: count });
    const claimed = (await dispatch.claim(id, 0, count, count)).sort((a, b) => a.seq - b.seq);
    const pmid = (seq: number) => `${id}-${seq}`;
    const accept = (seqs: number[]) =>
      dispatch.writeResults(
        claimed
          .filter((c) => seqs.includes(c.seq))
          .map((c) => ({ ...resultOf(id, c), providerMessageId: pmid(c.seq) })),
      );
    return { id, pmid, accept };
  }

  it('applies delivered and undelivered receipts with the counters, analytics and error log', async () => {
    const { id, pmid, accept } = await claimedBatch(3);
    await accept([0, 1, 2]);
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 0,
      undelivered: 0,
      unknown: 0,
      awaiting: 3,
    });

    const outcome = await record([receipt(pmid(0), 'delivered'), receipt(pmid(1), 'undelivered')]);

    expect(outcome.batches).toEqual([{ id, accountId }]);
    expect(outcome.appeared).toEqual([{ batchId: id, category: 'unreachable' }]);
    expect(outcome.applied.map((a) => a.status).sort()).toEqual(['delivered', 'undelivered']);
    expect(outcome.applied.every((a) => a.latencyMs !== null && a.latencyMs >= 0)).toBe(true);
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 1,
      unknown: 0,
      awaiting: 1,
    });
    expect(await messageOf(db.dataSource, pmid(1))).toMatchObject({
      deliveryStatus: 'undelivered',
      providerStatus: 'undelivered',
      deliveryError: {
        category: 'unreachable',
        code: '30003',
        message: 'Unreachable destination handset.',
      },
    });
    const log = await db.dataSource.query(
      `SELECT seq, category, code, stage, retried FROM message_errors WHERE batch_id = $1`,
      [id],
    );
    expect(log).toEqual([
      { seq: 1, category: 'unreachable', code: '30003', stage: 'delivery', retried: false },
    ]);
    const [summary] = await db.dataSource.query(
      `SELECT category, count, messages FROM batch_error_categories WHERE batch_id = $1`,
      [id],
    );
    expect(summary).toEqual({ category: 'unreachable', count: '1', messages: '1' });
    const timeline = await db.dataSource.query<{ delivered: string; undelivered: string }[]>(
      `SELECT sum(delivered)::int AS delivered, sum(undelivered)::int AS undelivered
       FROM batch_timeline WHERE batch_id = $1 GROUP BY resolution ORDER BY resolution`,
      [id],
    );
    expect(timeline).toEqual([
      { delivered: 1, undelivered: 1 },
      { delivered: 1, undelivered: 1 },
    ]);
    const [stats] = await db.dataSource.query<{ histogram: string[] }[]>(
      `SELECT delivery_latency_histogram AS histogram FROM batch_rate_stats WHERE batch_id = $1`,
      [id],
    );
    expect(stats.histogram.reduce((sum, n) => sum + Number(n), 0)).toBe(2);
    const counts = await db.dataSource.query(
      `SELECT status, category, count FROM batch_receipt_counts WHERE batch_id = $1
       ORDER BY status`,
      [id],
    );
    expect(counts).toEqual([
      { status: 'delivered', category: '', count: '1' },
      { status: 'undelivered', category: 'unreachable', count: '1' },
    ]);
    // The error-rate guard never hears of receipts.
    const [{ window }] = await db.dataSource.query<{ window: string }[]>(
      `SELECT error_window AS window FROM batches WHERE id = $1`,
      [id],
    );
    expect(window).not.toContain('F');
  });

  it('never moves a message down: duplicates, a lower rank and a second final change nothing', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    await record([receipt(pmid(0), 'sent')]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'awaiting',
      providerStatus: 'sent',
    });
    // A lower rank after a higher one (out of order) and a duplicate.
    const late = await record([receipt(pmid(0), 'queued'), receipt(pmid(0), 'sent')]);
    expect(late.applied).toEqual([]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({ providerStatus: 'sent' });

    const first = await record([receipt(pmid(0), 'delivered')]);
    expect(first.applied).toHaveLength(1);
    const { receiptAt } = await messageOf(db.dataSource, pmid(0));
    const again = await record([
      receipt(pmid(0), 'delivered'),
      receipt(pmid(0), 'undelivered'),
      receipt(pmid(0), 'sent'),
    ]);
    expect(again).toMatchObject({ applied: [], batches: [] });
    expect(await messageOf(db.dataSource, pmid(0))).toEqual({
      deliveryStatus: 'delivered',
      providerStatus: 'delivered',
      receiptAt,
      deliveryError: null,
    });
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 0,
      unknown: 0,
      awaiting: 0,
    });
  });

  it('counts a final receipt that comes before `sent`, and the first of two finals in one write', async () => {
    const { id, pmid, accept } = await claimedBatch(2);
    await accept([0, 1]);
    await record([receipt(pmid(0), 'undelivered')]);
    await record([receipt(pmid(0), 'sent')]);
    const t = Date.now();
    await record([
      receipt(pmid(1), 'undelivered', new Date(t + 5)),
      receipt(pmid(1), 'delivered', new Date(t)),
      receipt(pmid(1), 'sent', new Date(t - 5)),
    ]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'undelivered',
      providerStatus: 'undelivered',
    });
    expect(await messageOf(db.dataSource, pmid(1))).toMatchObject({
      deliveryStatus: 'delivered',
      receiptAt: new Date(t),
    });
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 1,
      unknown: 0,
      awaiting: 0,
    });
  });

  it('a final receipt that says neither outcome nor reason counts as undelivered, for an unknown reason', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    await record([
      { ...receipt(pmid(0), 'delivered'), status: 'failed', outcome: null, error: null },
    ]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'undelivered',
      providerStatus: 'failed',
      deliveryError: { category: 'unknown', code: 'failed', message: expect.any(String) },
    });
    expect(await delivery(db.dataSource, id)).toMatchObject({ undelivered: 1, awaiting: 0 });
  });

  it('an error summary of delivery failures only is not retryable: nothing requeues sent messages', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    // Undelivered without a reason: category unknown, which a send failure would retry.
    await record([{ ...receipt(pmid(0), 'delivered'), status: 'failed', outcome: null }]);

    const errors = new ErrorLogService(db.dataSource, new ErrorLogRepository(db.dataSource));
    expect(await errors.summaries(id)).toMatchObject([
      { category: 'unknown', count: 1, retryable: false },
    ]);
  });

  it('keeps a receipt that comes before its send result and applies it with the result', async () => {
    const { id, pmid, accept } = await claimedBatch(2);
    const early = await record([
      receipt(pmid(0), 'sent'),
      receipt(pmid(0), 'delivered'),
      receipt(pmid(0), 'delivered'),
    ]);
    expect(early).toMatchObject({ applied: [] });
    const [{ kept: keptEarly }] = await db.dataSource.query<{ kept: number }[]>(
      `SELECT count(*)::int AS kept FROM pending_receipts WHERE provider_message_id = $1`,
      [pmid(0)],
    );
    expect(keptEarly).toBe(2);
    expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 0, awaiting: 0 });

    const outcome = await accept([0, 1]);
    expect(outcome.receipts.applied.map((a) => a.status)).toEqual(['delivered']);
    expect(outcome.receipts.batches).toEqual([{ id, accountId }]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'delivered',
      providerStatus: 'delivered',
    });
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 0,
      unknown: 0,
      awaiting: 1,
    });
    const kept = await db.dataSource.query(
      `SELECT 1 FROM pending_receipts WHERE provider_message_id = $1`,
      [pmid(0)],
    );
    expect(kept).toEqual([]);
  });

  it('a stale result (its claim was taken over) leaves the kept receipts of its id alone', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const [claim] = await dispatch.claim(id, 0, 1, 1);
    await record([receipt(`${id}-stale`, 'delivered')]);

    await dispatch.writeResults([
      { ...resultOf(id, { ...claim, token: claim.token + 1 }), providerMessageId: `${id}-stale` },
    ]);

    const kept = await db.dataSource.query<{ status: string }[]>(
      `SELECT status FROM pending_receipts WHERE provider_message_id = $1`,
      [`${id}-stale`],
    );
    expect(kept).toEqual([{ status: 'delivered' }]);
    expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 0, awaiting: 0 });
  });

  it('the sweep applies a kept receipt whose result was written meanwhile (the race)', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    // As if the receipt's transaction and the result's had missed each other.
    await db.dataSource.query(
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
         error_code, error_message, category, received_at, expires_at)
       VALUES ('simulated', $1, 'undelivered', 3, 'undelivered', '30003', 'Unreachable.',
               'unreachable', now(), now() + interval '1 hour')`,
      [pmid(0)],
    );
    const { outcomes } = await receipts.applyOrphans(0);
    expect(outcomes.flatMap((o) => o.batches)).toEqual([{ id, accountId }]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'undelivered',
      deliveryError: { category: 'unreachable', code: '30003', message: 'Unreachable.' },
    });
    expect(await delivery(db.dataSource, id)).toMatchObject({ undelivered: 1, awaiting: 0 });
    expect((await receipts.applyOrphans(0)).outcomes).toEqual([]);
  });

  it('the sweep finds a kept receipt behind many whose message never came', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    // A thousand and one strays, sorting before the one whose message exists.
    await db.dataSource.query(
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
         received_at, expires_at)
       SELECT 'simulated', '0-stray-' || lpad(i::text, 5, '0'), 'delivered', 3, 'delivered', now(),
              now() + interval '1 hour'
       FROM generate_series(1, 1001) AS i`,
    );
    // As if its receipt's transaction and its result's had missed each other.
    await db.dataSource.query(
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
         received_at, expires_at)
       VALUES ('simulated', $1, 'delivered', 3, 'delivered', now(), now() + interval '1 hour')`,
      [pmid(0)],
    );

    const { outcomes } = await receipts.applyOrphans(0);
    expect(outcomes.flatMap((o) => o.batches)).toEqual([{ id, accountId }]);
    expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, awaiting: 0 });
    const [{ strays }] = await db.dataSource.query<{ strays: number }[]>(
      `SELECT count(*)::int AS strays FROM pending_receipts WHERE provider_message_id LIKE '0-stray-%'`,
    );
    expect(strays).toBe(1001);
    await db.dataSource.query(
      `DELETE FROM pending_receipts WHERE provider_message_id LIKE '0-stray-%'`,
    );
  });

  it('finds kept receipts by provider message id through an index, not a scan of them all', async () => {
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query(
        `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
           received_at, expires_at)
         SELECT 'simulated', 'many-' || i, 'delivered', 3, 'delivered', now(), now() + interval '1 hour'
         FROM generate_series(1, 20000) AS i`,
      );
      await runner.query(`ANALYZE pending_receipts`);
      const [
        {
          'QUERY PLAN': [plan],
        },
      ] = (await runner.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
         DELETE FROM pending_receipts WHERE provider_message_id = ANY($1)`,
        [['many-7', 'many-19999']],
      )) as {
        'QUERY PLAN': { Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }[];
      }[];
      // A scan of the whole table or of its key's index reads well over a hundred pages.
      expect(plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks']).toBeLessThan(20);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('applying receipts looks each message up by its provider message id, even with statistics from before the batch was sent', async () => {
    // The bench's case: the planner last saw the batch's messages pending, without provider
    // message ids, and judged its sent messages to be a row or so. Joined freely, each group of
    // receipts then read every sent message of the batch once per receipt (seconds per group at
    // 20,000 messages, under the batch's lock).
    const size = 3000;
    const { id, pmid, accept } = await claimedBatch(size);
    const group = Array.from({ length: 200 }, (_, i) => receipt(pmid(size - 1 - i), 'delivered'));
    type Node = {
      'Relation Name'?: string;
      'Index Name'?: string;
      'Actual Rows': number;
      'Actual Loops': number;
      'Rows Removed by Filter'?: number;
      'Rows Removed by Join Filter'?: number;
      Plans?: Node[];
    };
    const plans: Node[] = [];
    await db.dataSource.query(`ALTER TABLE messages SET (autovacuum_enabled = false)`);
    try {
      await db.dataSource.query(`ANALYZE messages`);
      await accept(Array.from({ length: size }, (_, seq) => seq));
      // The statement that moves the messages (applyToMessages), measured in its own transaction
      // just before it runs: EXPLAIN ANALYZE under a savepoint, rolled back.
      const original = EntityManager.prototype.query;
      const query = jest.spyOn(EntityManager.prototype, 'query').mockImplementation(async function (
        this: EntityManager,
        sql: string,
        params?: unknown[],
      ) {
        if (sql.includes('UPDATE messages m SET')) {
          await original.call(this, 'SAVEPOINT measured');
          const [{ 'QUERY PLAN': explained }] = (await original.call(
            this,
            `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
            params,
          )) as { 'QUERY PLAN': { Plan: Node }[] }[];
          plans.push(explained[0].Plan);
          await original.call(this, 'ROLLBACK TO SAVEPOINT measured');
        }
        const result: unknown = await original.call(this, sql, params);
        return result;
      });
      try {
        await record(group);
      } finally {
        query.mockRestore();
      }
    } finally {
      await db.dataSource.query(`ALTER TABLE messages RESET (autovacuum_enabled)`);
    }
    expect((await delivery(db.dataSource, id)).delivered).toBe(group.length);
    expect(plans).toHaveLength(1);
    const nodes = (node: Node): Node[] => [node, ...(node.Plans ?? []).flatMap(nodes)];
    // Each receipt looks its message up by its provider message id: one index probe per receipt,
    // whatever the statistics say, not one pass over the batch's messages for the whole group.
    const lookups = nodes(plans[0]).filter(
      (node) => node['Index Name'] === 'messages_provider_message_id_idx',
    );
    expect(lookups.map((node) => node['Actual Loops'])).toEqual([group.length]);
    // Every row a plan node read from messages (times its loops), and every pair a join threw
    // away: each receipt's message by its id and by its key, or at most one pass over this small
    // table where the planner prefers it to moving them by key. Once per receipt is 600,000.
    const read = (node: Node): number =>
      (node['Relation Name'] === 'messages'
        ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops']
        : 0) +
      (node['Rows Removed by Join Filter'] ?? 0) +
      (node.Plans ?? []).reduce((sum, child) => sum + read(child), 0);
    expect(read(plans[0])).toBeLessThanOrEqual(size + 4 * group.length);
  });

  it('deletes kept receipts past their time, and keeps the others', async () => {
    await record([receipt('nobody-1', 'delivered')]);
    await db.dataSource.query(
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
         received_at, expires_at)
       VALUES ('simulated', 'nobody-2', 'delivered', 3, 'delivered', now(), now() - interval '1 s')`,
    );
    expect(await receipts.deleteExpiredOrphans()).toEqual({ dropped: 1, unapplied: 0 });
    const left = await db.dataSource.query<{ id: string }[]>(
      `SELECT provider_message_id AS id FROM pending_receipts WHERE provider_message_id LIKE 'nobody-%'`,
    );
    expect(left).toEqual([{ id: 'nobody-1' }]);
  });

  it('marks unknown what waited too long, in chunks, and a late final still applies', async () => {
    const { id, pmid, accept } = await claimedBatch(5);
    await accept([0, 1, 2, 3, 4]);
    await record([receipt(pmid(0), 'delivered')]);
    await db.dataSource.query(
      `UPDATE messages SET sent_at = now() - interval '2 hours' WHERE batch_id = $1 AND seq <> 4`,
      [id],
    );
    await db.dataSource.query(
      `UPDATE batches SET started_at = now() - interval '2 hours' WHERE id = $1`,
      [id],
    );
    const timedOut = newReceiptsRepository(db.dataSource, { receiptTimeoutMs: 3_600_000 });
    expect(await timedOut.timeOutAwaiting(2)).toContainEqual({ id, accountId });
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 0,
      unknown: 3,
      awaiting: 1,
    });
    expect(await timedOut.timeOutAwaiting(2)).not.toContainEqual({ id, accountId });

    await record([receipt(pmid(1), 'delivered'), receipt(pmid(2), 'undelivered')]);
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 2,
      undelivered: 1,
      unknown: 1,
      awaiting: 1,
    });
  });

  it('writes the batch row only in the chunks where something timed out', async () => {
    const { id, accept } = await claimedBatch(4);
    await accept([0, 1, 2, 3]);
    await db.dataSource.query(
      `UPDATE messages SET sent_at = now() - interval '2 hours' WHERE batch_id = $1 AND seq < 2`,
      [id],
    );
    const timedOut = newReceiptsRepository(db.dataSource, { receiptTimeoutMs: 3_600_000 });
    expect(await timedOut.timeOutAwaiting(2)).toContainEqual({ id, accountId });
    expect(await delivery(db.dataSource, id)).toMatchObject({ unknown: 2, awaiting: 2 });
    // The batch row's last version is the first chunk's: the second timed nothing out.
    const [{ batch, message }] = await db.dataSource.query<{ batch: string; message: string }[]>(
      `SELECT (SELECT xmin::text FROM batches WHERE id = $1) AS batch,
              (SELECT xmin::text FROM messages WHERE batch_id = $1 AND seq = 0) AS message`,
      [id],
    );
    expect(batch).toBe(message);
  });

  it('the worker sweep times out at most once a minute', async () => {
    const { id, accept } = await claimedBatch(2);
    await accept([0, 1]);
    const age = (seq: number) =>
      db.dataSource.query(
        `UPDATE messages SET sent_at = now() - interval '2 hours' WHERE batch_id = $1 AND seq = $2`,
        [id, seq],
      );
    const newSweeper = () =>
      new DeliverySweeper(
        newReceiptsRepository(db.dataSource, { receiptTimeoutMs: 3_600_000 }),
        { progressed: () => undefined, errorAppeared: () => undefined } as unknown as BatchEvents,
        new MetricsService(),
        dispatchConfig(),
        { ...deliveryConfig(), receiptTimeoutMs: 3_600_000 },
      );
    const sweeper = newSweeper();
    await age(0);
    await sweeper.sweep();
    expect(await delivery(db.dataSource, id)).toMatchObject({ unknown: 1, awaiting: 1 });

    await age(1);
    await sweeper.sweep();
    expect(await delivery(db.dataSource, id)).toMatchObject({ unknown: 1, awaiting: 1 });
    await newSweeper().sweep();
    expect(await delivery(db.dataSource, id)).toMatchObject({ unknown: 2, awaiting: 0 });
  });

  it('results and receipts written at once, in any order, end exact once the sweep ran', async () => {
    const batches = await Promise.all([claimedBatch(40), claimedBatch(40)]);
    const seqs = Array.from({ length: 40 }, (_, i) => i);
    const chunks = [seqs.slice(0, 10), seqs.slice(10, 20), seqs.slice(20, 30), seqs.slice(30)];
    // Each message's receipt races its own result, across two batches locked in either order.
    await Promise.all(
      batches.flatMap(({ pmid, accept }) =>
        chunks.flatMap((chunk) => [
          accept(chunk),
          record(
            chunk.map((seq) => receipt(pmid(seq), seq % 4 === 0 ? 'undelivered' : 'delivered')),
          ),
        ]),
      ),
    );
    await receipts.applyOrphans(0);
    for (const { id } of batches) {
      expect(await delivery(db.dataSource, id)).toEqual({
        delivered: 30,
        undelivered: 10,
        unknown: 0,
        awaiting: 0,
      });
    }
  });

  it('the worker sweep applies kept receipts, drops expired ones and times out, telling followers', async () => {
    const { id, pmid, accept } = await claimedBatch(2);
    await accept([0, 1]);
    await db.dataSource.query(
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
         received_at, expires_at, kept_at)
       VALUES ('simulated', $1, 'delivered', 3, 'delivered', now(), now() + interval '1 hour',
               now() - interval '1 minute'),
              ('simulated', 'gone-1', 'delivered', 3, 'delivered', now(), now() - interval '1 s',
               now() - interval '1 day')`,
      [pmid(0)],
    );
    await db.dataSource.query(
      `UPDATE messages SET sent_at = now() - interval '2 hours' WHERE batch_id = $1`,
      [id],
    );
    await db.dataSource.query(
      `UPDATE batches SET started_at = now() - interval '2 hours' WHERE id = $1`,
      [id],
    );
    const progressed: BatchRef[] = [];
    const events = {
      progressed: (batches: readonly BatchRef[]) => progressed.push(...batches),
      errorAppeared: () => undefined,
    } as unknown as BatchEvents;
    const sweeper = new DeliverySweeper(
      newReceiptsRepository(db.dataSource, { receiptTimeoutMs: 3_600_000 }),
      events,
      new MetricsService(),
      dispatchConfig(),
      { ...deliveryConfig(), receiptTimeoutMs: 3_600_000 },
    );

    await sweeper.sweep();

    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 0,
      unknown: 1,
      awaiting: 0,
    });
    expect(progressed.filter((b) => b.id === id).length).toBeGreaterThanOrEqual(2);
    const kept = await db.dataSource.query(
      `SELECT provider_message_id FROM pending_receipts WHERE provider_message_id IN ($1, 'gone-1')`,
      [pmid(0)],
    );
    expect(kept).toEqual([]);
  });

  it('the worker sweep leaves receipts kept moments ago to the process applying them', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    await db.dataSource.query(
      `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
         received_at, expires_at)
       VALUES ('simulated', $1, 'delivered', 3, 'delivered', now(), now() + interval '1 hour')`,
      [pmid(0)],
    );
    const sweeper = new DeliverySweeper(
      newReceiptsRepository(db.dataSource),
      { progressed: () => undefined, errorAppeared: () => undefined } as unknown as BatchEvents,
      new MetricsService(),
      { ...dispatchConfig(), reconcileIntervalMs: 60_000 },
      deliveryConfig(),
    );

    await sweeper.sweep();
    expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 0, awaiting: 1 });

    // Two sweep intervals later it is the sweep's.
    await db.dataSource.query(
      `UPDATE pending_receipts SET kept_at = now() - interval '121 s' WHERE provider_message_id = $1`,
      [pmid(0)],
    );
    await sweeper.sweep();
    expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, awaiting: 0 });
  });

  describe('a long message sent in three parts', () => {
    /** A processing batch of `count` messages sent in three parts each, and its accept. */
    async function partedBatch(count = 1) {
      const id = await insertBatch(db.dataSource, { accountId, messages: count });
      const claimed = await dispatch.claim(id, 0, count, count);
      const part = (n: number, seq = 0) => `${id}-${seq}-p${n}`;
      const accept = () =>
        dispatch.writeResults(
          claimed.map((c) => ({
            ...resultOf(id, c),
            providerMessageId: part(1, c.seq),
            parts: {
              reference: 3,
              total: 3,
              accepted: [1, 2, 3].map((n) => ({ part: n, providerMessageId: part(n, c.seq) })),
            },
          })),
        );
      return { id, part, accept, message: () => messageOf(db.dataSource, part(1)) };
    }

    async function receiptCounts(id: string) {
      return db.dataSource.query<{ status: string; count: string }[]>(
        `SELECT status, count FROM batch_receipt_counts WHERE batch_id = $1 ORDER BY status`,
        [id],
      );
    }

    it.each([
      [1, 2, 3],
      [3, 1, 2],
      [2, 3, 1],
    ])(
      'is delivered once, when its last part is (parts delivered in the order %i, %i, %i)',
      async (...order) => {
        const { id, part, accept, message } = await partedBatch();
        await accept();
        const [first, second, last] = order;
        expect((await record([receipt(part(first), 'delivered')])).applied).toEqual([]);
        expect((await record([receipt(part(second), 'delivered')])).applied).toEqual([]);
        expect(await message()).toMatchObject({ deliveryStatus: 'awaiting', providerStatus: null });

        const outcome = await record([receipt(part(last), 'delivered')]);
        expect(outcome.applied).toMatchObject([{ status: 'delivered', outcome: 'delivered' }]);
        expect(outcome.batches).toEqual([{ id, accountId }]);
        expect(await message()).toMatchObject({ deliveryStatus: 'delivered' });
        expect(await delivery(db.dataSource, id)).toEqual({
          delivered: 1,
          undelivered: 0,
          unknown: 0,
          awaiting: 0,
        });
        expect(await receiptCounts(id)).toEqual([{ status: 'delivered', count: '1' }]);

        // Duplicates of every part change nothing, and count nothing.
        const again = await record(order.map((n) => receipt(part(n), 'delivered')));
        expect(again).toMatchObject({ applied: [], batches: [] });
        expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1 });
        expect(await receiptCounts(id)).toEqual([{ status: 'delivered', count: '1' }]);
      },
    );

    it("is undelivered once, as soon as one part is, with that part's error", async () => {
      const { id, part, accept, message } = await partedBatch();
      await accept();
      const outcome = await record([receipt(part(2), 'undelivered')]);
      expect(outcome.applied).toMatchObject([{ outcome: 'undelivered', category: 'unreachable' }]);
      expect(outcome.appeared).toEqual([{ batchId: id, category: 'unreachable' }]);
      expect(await message()).toMatchObject({
        deliveryStatus: 'undelivered',
        providerStatus: 'undelivered',
        deliveryError: {
          category: 'unreachable',
          code: '30003',
          message: 'Unreachable destination handset.',
        },
      });

      // The other parts arrive: their rows take them, the message stays as it was.
      const later = await record([receipt(part(1), 'delivered'), receipt(part(3), 'delivered')]);
      expect(later).toMatchObject({ applied: [], batches: [] });
      const parts = await db.dataSource.query<{ outcome: string }[]>(
        `SELECT outcome FROM message_parts WHERE batch_id = $1 ORDER BY part`,
        [id],
      );
      expect(parts.map((p) => p.outcome)).toEqual(['delivered', 'undelivered', 'delivered']);
      expect(await message()).toMatchObject({ deliveryStatus: 'undelivered' });
      expect(await delivery(db.dataSource, id)).toEqual({
        delivered: 0,
        undelivered: 1,
        unknown: 0,
        awaiting: 0,
      });
      const log = await db.dataSource.query(
        `SELECT seq, category FROM message_errors WHERE batch_id = $1`,
        [id],
      );
      expect(log).toEqual([{ seq: 0, category: 'unreachable' }]);
    });

    it('below final, takes the lowest rank once every part has a receipt; a lower rank of a part changes nothing', async () => {
      const { part, accept, message } = await partedBatch();
      await accept();
      await record([receipt(part(1), 'delivered'), receipt(part(2), 'sent')]);
      expect(await message()).toMatchObject({ deliveryStatus: 'awaiting', providerStatus: null });
      await record([receipt(part(3), 'queued')]);
      expect(await message()).toMatchObject({ providerStatus: 'queued' });
      await record([receipt(part(3), 'sent')]);
      expect(await message()).toMatchObject({ providerStatus: 'sent' });
      const lower = await record([receipt(part(3), 'queued'), receipt(part(1), 'sent')]);
      expect(lower.applied).toEqual([]);
      expect(await message()).toMatchObject({ deliveryStatus: 'awaiting', providerStatus: 'sent' });
    });

    it("a part's receipt kept before the result is written is applied by the write", async () => {
      const { id, part, accept, message } = await partedBatch();
      const early = await record([1, 2, 3].map((n) => receipt(part(n), 'delivered')));
      expect(early.applied).toEqual([]);

      const outcome = await accept();
      expect(outcome.receipts.applied).toMatchObject([{ outcome: 'delivered' }]);
      expect(await message()).toMatchObject({ deliveryStatus: 'delivered' });
      expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, awaiting: 0 });
      const kept = await db.dataSource.query(
        `SELECT 1 FROM pending_receipts WHERE provider_message_id LIKE $1`,
        [`${id}-%`],
      );
      expect(kept).toEqual([]);
    });

    it.each(['applyKeptOf', 'applyOrphans'] as const)(
      "a part's receipt kept while its result was being written is applied by %s",
      async (by) => {
        const { id, part, accept, message } = await partedBatch();
        await accept();
        await record([receipt(part(1), 'delivered'), receipt(part(2), 'delivered')]);
        // As if the receipt's transaction and the result's had missed each other.
        await db.dataSource.query(
          `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
             received_at, expires_at)
           VALUES ('simulated', $1, 'delivered', 3, 'delivered', now(), now() + interval '1 hour')`,
          [part(3)],
        );
        if (by === 'applyKeptOf') await receipts.applyKeptOf([part(3)]);
        else await receipts.applyOrphans(0);

        expect(await message()).toMatchObject({ deliveryStatus: 'delivered' });
        expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, awaiting: 0 });
      },
    );

    it('a kept receipt of a stored part past its time is not dropped as an orphan', async () => {
      const { part, accept } = await partedBatch();
      await accept();
      await db.dataSource.query(
        `INSERT INTO pending_receipts (provider, provider_message_id, status, rank, outcome,
           received_at, expires_at)
         VALUES ('simulated', $1, 'delivered', 3, 'delivered', now(), now() - interval '1 s')`,
        [part(2)],
      );
      try {
        expect(await receipts.deleteExpiredOrphans()).toEqual({ dropped: 0, unapplied: 1 });
      } finally {
        await db.dataSource.query(`DELETE FROM pending_receipts WHERE provider_message_id = $1`, [
          part(2),
        ]);
      }
    });

    it("parts' receipts applied at once in many transactions: every message delivered (no lost update)", async () => {
      const { id, part, accept } = await partedBatch(8);
      await accept();
      const parts = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((seq) => [1, 2, 3].map((n) => part(n, seq)));
      await receipts.keep(parts.map((p) => receipt(p, 'delivered')));
      // One transaction per part, all at once: the parts of each message race each other.
      await Promise.all(parts.map((p) => receipts.applyKeptOf([p])));
      expect(await delivery(db.dataSource, id)).toEqual({
        delivered: 8,
        undelivered: 0,
        unknown: 0,
        awaiting: 0,
      });
    });

    it('a part the provider does not know about, then delivered: unknown, then delivered', async () => {
      const { id, part, accept, message } = await partedBatch();
      await accept();
      await record([
        receipt(part(1), 'delivered'),
        unknownReceipt(part(2)),
        receipt(part(3), 'delivered'),
      ]);
      expect(await message()).toMatchObject({
        deliveryStatus: 'unknown',
        providerStatus: 'UNKNOWN',
      });
      expect(await delivery(db.dataSource, id)).toMatchObject({ unknown: 1, delivered: 0 });

      await record([receipt(part(2), 'delivered')]);
      expect(await message()).toMatchObject({ deliveryStatus: 'delivered' });
      expect(await delivery(db.dataSource, id)).toEqual({
        delivered: 1,
        undelivered: 0,
        unknown: 0,
        awaiting: 0,
      });
    });
  });

  it('a final receipt that does not know (UNKNOWN) counts unknown, and a later DELIVRD still applies', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    const unknown = await record([unknownReceipt(pmid(0))]);
    expect(unknown.applied).toMatchObject([{ outcome: 'unknown', latencyMs: null }]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'unknown',
      providerStatus: 'UNKNOWN',
      deliveryError: null,
    });
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 0,
      undelivered: 0,
      unknown: 1,
      awaiting: 0,
    });
    // Said again, it changes nothing.
    expect((await record([unknownReceipt(pmid(0))])).applied).toEqual([]);

    await record([{ ...receipt(pmid(0), 'delivered'), status: 'DELIVRD' }]);
    expect(await messageOf(db.dataSource, pmid(0))).toMatchObject({
      deliveryStatus: 'delivered',
      providerStatus: 'DELIVRD',
    });
    expect(await delivery(db.dataSource, id)).toEqual({
      delivered: 1,
      undelivered: 0,
      unknown: 0,
      awaiting: 0,
    });
    // The timeline and the latency histogram count the delivery only.
    const timeline = await db.dataSource.query<{ delivered: number; undelivered: number }[]>(
      `SELECT sum(delivered)::int AS delivered, sum(undelivered)::int AS undelivered
       FROM batch_timeline WHERE batch_id = $1 GROUP BY resolution`,
      [id],
    );
    expect(timeline).toContainEqual({ delivered: 1, undelivered: 0 });
    const [stats] = await db.dataSource.query<{ histogram: string[] }[]>(
      `SELECT delivery_latency_histogram AS histogram FROM batch_rate_stats WHERE batch_id = $1`,
      [id],
    );
    expect(stats.histogram.reduce((sum, n) => sum + Number(n), 0)).toBe(1);
  });

  it('UNKNOWN and DELIVRD in one write: the one that knows wins', async () => {
    const { id, pmid, accept } = await claimedBatch(1);
    await accept([0]);
    const t = Date.now();
    await record([
      unknownReceipt(pmid(0), new Date(t)),
      { ...receipt(pmid(0), 'delivered', new Date(t + 5)), status: 'DELIVRD' },
    ]);
    expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, unknown: 0 });
  });

  describe('ReceiptsService', () => {
    function newService(repository: ReceiptsRepository) {
      const progressed: BatchRef[] = [];
      const events = {
        progressed: (batches: readonly BatchRef[]) => progressed.push(...batches),
        errorAppeared: () => undefined,
      } as unknown as BatchEvents;
      return {
        service: new ReceiptsService(repository, events, new MetricsService()),
        progressed,
      };
    }

    it('concurrent callers share a write, each resolves once it is durable, and it is applied', async () => {
      const { id, pmid, accept } = await claimedBatch(3);
      await accept([0, 1, 2]);
      const writes: number[] = [];
      const repository = newReceiptsRepository(db.dataSource);
      const keep = repository.keep.bind(repository);
      repository.keep = async (batch) => {
        writes.push(batch.length);
        const kept = await keep(batch);
        // Durable when the caller hears of it: the receipt is stored.
        const [{ n }] = await db.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pending_receipts WHERE provider_message_id = ANY($1)`,
          [batch.map((r) => r.providerMessageId)],
        );
        expect(n + (await delivery(db.dataSource, id)).delivered).toBeGreaterThanOrEqual(
          batch.length,
        );
        return kept;
      };
      const { service, progressed } = newService(repository);

      await Promise.all([0, 1, 2].map((seq) => service.record([receipt(pmid(seq), 'delivered')])));
      await service.settled();

      // The first goes at once; the two that came while it was in flight go together.
      expect(writes).toEqual([1, 2]);
      expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 3, awaiting: 0 });
      expect(progressed).toContainEqual({ id, accountId });
      const kept = await db.dataSource.query(
        `SELECT 1 FROM pending_receipts WHERE provider_message_id = ANY($1)`,
        [[0, 1, 2].map(pmid)],
      );
      expect(kept).toEqual([]);
    });

    it('a failed write rejects its callers and the next write goes on', async () => {
      const { id, pmid, accept } = await claimedBatch(1);
      await accept([0]);
      const repository = newReceiptsRepository(db.dataSource);
      const keep = repository.keep.bind(repository);
      let fail = true;
      repository.keep = (batch) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('connection lost'));
        }
        return keep(batch);
      };
      const { service } = newService(repository);

      await expect(service.record([receipt(pmid(0), 'delivered')])).rejects.toThrow(
        'connection lost',
      );
      await service.settled();
      expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 0, awaiting: 1 });
      await service.record([receipt(pmid(0), 'delivered')]);
      await service.settled();
      expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, awaiting: 0 });
    });

    it('a receipt that makes the apply fail stays kept alone, the others of its group apply', async () => {
      const { id, pmid, accept } = await claimedBatch(3);
      await accept([0, 1, 2]);
      // A poisoned receipt: whatever it carries makes the statement that applies it fail.
      await db.dataSource.query(`
        CREATE FUNCTION poisoned_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'poisoned receipt' USING ERRCODE = '22023'; END $$;
        CREATE TRIGGER poisoned_receipt BEFORE UPDATE ON messages FOR EACH ROW
          WHEN (NEW.provider_status = 'poison') EXECUTE FUNCTION poisoned_receipt();`);
      try {
        const { service } = newService(newReceiptsRepository(db.dataSource));
        await service.record([
          receipt(pmid(0), 'delivered'),
          { ...receipt(pmid(1), 'delivered'), status: 'poison' },
          receipt(pmid(2), 'delivered'),
        ]);
        await service.settled();

        expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 2, awaiting: 1 });
        const kept = await db.dataSource.query<{ id: string }[]>(
          `SELECT provider_message_id AS id FROM pending_receipts WHERE provider_message_id = ANY($1)`,
          [[0, 1, 2].map(pmid)],
        );
        expect(kept).toEqual([{ id: pmid(1) }]);

        // Past its time it is not dropped as if its message had never appeared.
        await db.dataSource.query(
          `UPDATE pending_receipts SET expires_at = now() - interval '1 s'
           WHERE provider_message_id = $1`,
          [pmid(1)],
        );
        expect(await receipts.deleteExpiredOrphans()).toEqual({ dropped: 0, unapplied: 1 });
        expect(
          await db.dataSource.query(
            `SELECT 1 FROM pending_receipts WHERE provider_message_id = $1`,
            [pmid(1)],
          ),
        ).toHaveLength(1);
      } finally {
        await db.dataSource.query(`
          DROP TRIGGER poisoned_receipt ON messages;
          DROP FUNCTION poisoned_receipt();
          DELETE FROM pending_receipts WHERE provider_message_id = '${pmid(1)}';`);
      }
    });

    it('keeps a receipt whose message is unknown for the result write', async () => {
      const { id, pmid, accept } = await claimedBatch(1);
      const { service } = newService(newReceiptsRepository(db.dataSource));
      await service.record([receipt(pmid(0), 'delivered')]);
      await service.settled();
      expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 0 });

      await accept([0]);
      expect(await delivery(db.dataSource, id)).toMatchObject({ delivered: 1, awaiting: 0 });
    });
  });
});

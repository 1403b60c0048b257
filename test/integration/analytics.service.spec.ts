// What GET /api/batch/:id/analytics reads of delivery, on the real PostgreSQL: rows written straight
// into the tables the receipt writer keeps (batch_rate_stats.delivery_latency_histogram,
// batch_receipt_counts, batch_timeline.delivered/undelivered), read through the service.
import { AnalyticsService } from '../../src/batch/analytics/analytics.service';
import {
  bucketOf,
  BUCKET_BOUNDS_MS,
  DELIVERY_BUCKET_BOUNDS_MS,
  emptyHistogram,
} from '../../src/batch/analytics/histogram';
import { SentRateService } from '../../src/batch/sent-rate.service';
import type { RateLimiter } from '../../src/rate-limit/rate-limiter';
import { smsConfig } from '../../src/config/configuration';
import { insertAccount, insertBatch } from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

/** The limiter lives in Redis; the analytics only ask it for the tier's rate and the share now. */
const limiter = {
  rateOf: () => 5,
  allottedRate: () => Promise.resolve(5),
} as unknown as RateLimiter;

describe('AnalyticsService: delivery', () => {
  let db: MigratedDatabase;
  let analytics: AnalyticsService;
  let accountId: string;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    analytics = new AnalyticsService(
      db.dataSource,
      limiter,
      new SentRateService(db.dataSource),
      smsConfig(),
    );
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  const completedBatch = () =>
    insertBatch(db.dataSource, { accountId, status: 'completed', messages: sent(10) });

  /** A batch_rate_stats row as dispatch leaves it, with `delivery` as the receipt writer keeps it. */
  async function rateStats(batchId: string, deliveryLatenciesMs?: number[]): Promise<void> {
    let delivery: number[] = [];
    if (deliveryLatenciesMs) {
      delivery = emptyHistogram(DELIVERY_BUCKET_BOUNDS_MS);
      for (const ms of deliveryLatenciesMs) delivery[bucketOf(ms, DELIVERY_BUCKET_BOUNDS_MS)]++;
    }
    const latency = emptyHistogram(BUCKET_BOUNDS_MS);
    latency[bucketOf(40)] = 10;
    await db.dataSource.query(
      `INSERT INTO batch_rate_stats (batch_id, wait_histogram, latency_histogram,
                                     delivery_latency_histogram)
       VALUES ($1, $2, $3, $4)`,
      [batchId, emptyHistogram(BUCKET_BOUNDS_MS), latency, delivery],
    );
  }

  async function receiptCounts(
    batchId: string,
    rows: [status: string, category: string, count: number][],
  ): Promise<void> {
    await db.dataSource.query(
      `INSERT INTO batch_receipt_counts (batch_id, status, category, count)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])`,
      [batchId, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }

  /** Timeline buckets at one resolution: [seconds after `start`, sent, failed, delivered, undelivered]. */
  async function timeline(
    batchId: string,
    resolution: 1 | 10,
    start: Date,
    rows: [at: number, sent: number, failed: number, delivered: number, undelivered: number][],
  ): Promise<void> {
    await db.dataSource.query(
      `INSERT INTO batch_timeline (batch_id, resolution, t, sent, failed, throttled, delivered,
                                   undelivered)
       SELECT $1, $2, $3::timestamptz + make_interval(secs => u.at), u.sent, u.failed, 0,
              u.delivered, u.undelivered
       FROM unnest($4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
         AS u(at, sent, failed, delivered, undelivered)`,
      [batchId, resolution, start, ...[0, 1, 2, 3, 4].map((i) => rows.map((r) => r[i]))],
    );
  }

  it('shows no latency and no receipts for a batch no receipt has reached', async () => {
    const id = await completedBatch();
    await rateStats(id);
    const read = await analytics.read(accountId, id);
    expect(read.delivery).toEqual({
      latencyMs: { p50: null, p95: null, p99: null },
      receiptsByStatus: [],
      receiptsByCategory: [],
    });
    // The provider's own latency is still there: the delivery part does not hide it.
    expect(read.providerLatencyMs.p50).toBe(48);
  });

  it('shows the same for a batch that has not sent yet (no stats row at all)', async () => {
    const id = await insertBatch(db.dataSource, { accountId, status: 'pending', messages: 2 });
    const read = await analytics.read(accountId, id);
    expect(read.delivery.latencyMs).toEqual({ p50: null, p95: null, p99: null });
    expect(read.delivery.receiptsByStatus).toEqual([]);
    expect(read.timeline).toEqual([]);
  });

  it('reads the delivery latency percentiles from the histogram', async () => {
    const id = await completedBatch();
    // 97 receipts about 200 ms after acceptance, 2 after a minute, 1 after two hours.
    await rateStats(id, [...Array(97).fill(200), 60_000, 60_000, 2 * 3_600_000]);
    const { latencyMs } = (await analytics.read(accountId, id)).delivery;
    // Each the upper bound of the bucket holding that rank, at most a quarter above it.
    expect(latencyMs.p50).toBeGreaterThanOrEqual(200);
    expect(latencyMs.p50).toBeLessThanOrEqual(250);
    expect(latencyMs.p95).toBe(latencyMs.p50);
    expect(latencyMs.p99).toBeGreaterThanOrEqual(60_000);
    expect(latencyMs.p99).toBeLessThanOrEqual(75_000);
  });

  it('sums receipts per status and per category, most first', async () => {
    const id = await completedBatch();
    await receiptCounts(id, [
      ['sent', '', 10],
      ['delivered', '', 7],
      ['undelivered', 'unreachable', 2],
      ['failed', 'unreachable', 1],
    ]);
    const { delivery } = await analytics.read(accountId, id);
    expect(delivery.receiptsByStatus).toEqual([
      { status: 'sent', count: 10 },
      { status: 'delivered', count: 7 },
      { status: 'undelivered', count: 2 },
      { status: 'failed', count: 1 },
    ]);
    expect(delivery.receiptsByCategory).toEqual([{ category: 'unreachable', count: 3 }]);
  });

  it('shows delivered and undelivered per timeline bucket, receipts after the sends included', async () => {
    const id = await completedBatch();
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    await timeline(id, 1, start, [
      [0, 6, 1, 0, 0],
      [1, 4, 0, 5, 0],
      // Receipts keep arriving after the last send.
      [2, 0, 0, 4, 1],
      [30, 0, 0, 1, 0],
    ]);
    const read = await analytics.read(accountId, id);
    expect(read.timeline).toEqual([
      { t: start.toISOString(), sent: 6, failed: 1, throttled: 0, delivered: 0, undelivered: 0 },
      {
        t: new Date(start.getTime() + 1000).toISOString(),
        sent: 4,
        failed: 0,
        throttled: 0,
        delivered: 5,
        undelivered: 0,
      },
      {
        t: new Date(start.getTime() + 2000).toISOString(),
        sent: 0,
        failed: 0,
        throttled: 0,
        delivered: 4,
        undelivered: 1,
      },
      {
        t: new Date(start.getTime() + 30_000).toISOString(),
        sent: 0,
        failed: 0,
        throttled: 0,
        delivered: 1,
        undelivered: 0,
      },
    ]);
  });

  it('reads the 10-second buckets of a batch that processed for over 10 minutes', async () => {
    const id = await completedBatch();
    await db.dataSource.query(`UPDATE batches SET processing_ms = 700000 WHERE id = $1`, [id]);
    const start = new Date(Math.floor(Date.now() / 10_000) * 10_000 - 900_000);
    await timeline(id, 1, start, [[0, 10, 0, 9, 1]]);
    await timeline(id, 10, start, [[0, 10, 0, 9, 1]]);
    await timeline(id, 10, start, [[10, 0, 0, 1, 0]]);
    const read = await analytics.read(accountId, id);
    expect(read.timeline.map(({ delivered, undelivered }) => [delivered, undelivered])).toEqual([
      [9, 1],
      [1, 0],
    ]);
  });

  it("never shows another batch's receipts", async () => {
    const mine = await completedBatch();
    const other = await completedBatch();
    await rateStats(other, [500]);
    await receiptCounts(other, [['delivered', '', 3]]);
    await timeline(other, 1, new Date(), [[0, 3, 0, 3, 0]]);
    const read = await analytics.read(accountId, mine);
    expect(read.delivery).toEqual({
      latencyMs: { p50: null, p95: null, p99: null },
      receiptsByStatus: [],
      receiptsByCategory: [],
    });
    expect(read.timeline).toEqual([]);
  });
});

function sent(n: number) {
  return Array.from({ length: n }, () => ({ status: 'sent' as const, attempts: 1 }));
}

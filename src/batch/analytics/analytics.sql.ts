// The SQL that keeps a batch's rate analytics as results are written (the same transactions as
// the message states and counters), so a read never scans messages.
import { PROCESSING_MS_SO_FAR } from '../batch.sql';

/** The counts a timeline row adds up: dispatch's results, and the receipts' final outcomes. */
const SEND_COUNTS = ['sent', 'failed', 'throttled'] as const;
export const DELIVERY_COUNTS = ['delivered', 'undelivered'] as const;
type TimelineCount = (typeof SEND_COUNTS)[number] | (typeof DELIVERY_COUNTS)[number];

/**
 * A data-modifying CTE, named `${events}_timeline`, adding the rows of CTE `events` (batch_id, ts,
 * and one column per name of `counts`: by default sent, failed, throttled) to the batch's
 * timeline, per second and per 10 seconds. Rows are upserted in key order; the callers hold their
 * batches' row locks.
 */
export function addToTimeline(
  events: string,
  counts: readonly TimelineCount[] = SEND_COUNTS,
): string {
  const columns = [...SEND_COUNTS, ...DELIVERY_COUNTS];
  return `
  ${events}_timeline AS (
    INSERT INTO batch_timeline AS tl (batch_id, resolution, t, ${columns.join(', ')})
    SELECT e.batch_id, res.r, to_timestamp(floor(extract(epoch FROM e.ts) / res.r) * res.r),
           ${columns.map((c) => (counts.includes(c) ? `sum(e.${c})` : '0')).join(', ')}
    FROM ${events} e CROSS JOIN (VALUES (1), (10)) AS res(r)
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (batch_id, resolution, t) DO UPDATE SET
      ${counts.map((c) => `${c} = tl.${c} + excluded.${c}`).join(',\n      ')}
  )`;
}

/** Adds one flush's call statistics of a batch (call-stats.ts) to its row. */
export const ADD_CALL_STATS = `
  INSERT INTO batch_rate_stats AS s (batch_id, throttle_events, paused_ms, last_retry_after_ms,
                                     last_rate_limit, wait_max_ms, wait_histogram, latency_histogram)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (batch_id) DO UPDATE SET
    throttle_events = s.throttle_events + excluded.throttle_events,
    paused_ms = s.paused_ms + excluded.paused_ms,
    last_retry_after_ms = COALESCE(excluded.last_retry_after_ms, s.last_retry_after_ms),
    last_rate_limit = COALESCE(excluded.last_rate_limit, s.last_rate_limit),
    wait_max_ms = GREATEST(s.wait_max_ms, excluded.wait_max_ms),
    wait_histogram = ARRAY(
      SELECT a + b FROM unnest(s.wait_histogram, excluded.wait_histogram) WITH ORDINALITY AS u(a, b, i)
      ORDER BY i),
    latency_histogram = ARRAY(
      SELECT a + b FROM unnest(s.latency_histogram, excluded.latency_histogram) WITH ORDINALITY AS u(a, b, i)
      ORDER BY i)`;

/**
 * Adds one flush's calls of a batch to one provider (call-stats.ts, sumProviderCalls) to their
 * row; $1 batch id, $2 provider, $3 sent, $4 failed, $5 the latency histogram. The stored
 * histogram may be empty (a row a receipt created).
 */
export const ADD_PROVIDER_CALLS = `
  INSERT INTO batch_provider_stats AS s (batch_id, provider, sent, failed, latency_histogram)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (batch_id, provider) DO UPDATE SET
    sent = s.sent + excluded.sent,
    failed = s.failed + excluded.failed,
    latency_histogram = ARRAY(
      SELECT COALESCE(a, 0) + COALESCE(b, 0)
      FROM unnest(s.latency_histogram, excluded.latency_histogram) WITH ORDINALITY AS u(a, b, i)
      ORDER BY i)`;

/**
 * A data-modifying CTE, named `${finals}_by_provider`, adding the final receipts of CTE `finals`
 * (batch_id, provider, outcome) to their providers' delivered and undelivered counts. Rows are
 * upserted in key order; the callers hold their batches' row locks.
 */
export function addReceiptsByProvider(finals: string): string {
  return `
  ${finals}_by_provider AS (
    INSERT INTO batch_provider_stats AS s (batch_id, provider, delivered, undelivered)
    SELECT batch_id, provider, count(*) FILTER (WHERE outcome = 'delivered'),
           count(*) FILTER (WHERE outcome = 'undelivered')
    FROM ${finals} WHERE outcome IN ('delivered', 'undelivered') AND provider IS NOT NULL
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (batch_id, provider) DO UPDATE SET
      delivered = s.delivered + excluded.delivered,
      undelivered = s.undelivered + excluded.undelivered
  )`;
}

/**
 * Adds a histogram of delivery latencies (acceptance to final receipt, DELIVERY_BUCKET_BOUNDS_MS)
 * to a batch's row; $1 batch id, $2 the histogram, $3 an empty histogram of BUCKET_BOUNDS_MS for
 * the call statistics of a new row. The stored one may be empty (a row ADD_CALL_STATS created).
 */
export const ADD_DELIVERY_LATENCY = `
  INSERT INTO batch_rate_stats AS s (batch_id, delivery_latency_histogram, wait_histogram,
                                     latency_histogram)
  VALUES ($1, $2, $3, $3)
  ON CONFLICT (batch_id) DO UPDATE SET
    delivery_latency_histogram = ARRAY(
      SELECT COALESCE(a, 0) + COALESCE(b, 0)
      FROM unnest(s.delivery_latency_histogram, excluded.delivery_latency_histogram)
        WITH ORDINALITY AS u(a, b, i)
      ORDER BY i)`;

// What GET /api/batch/:id/analytics reads: the batch's counters, its timeline and its stats.

/** The batch's tier, status, counters and processing time so far; $1 batch id, $2 account id. */
export const READ_BATCH = `
  SELECT priority, status, pending_count AS pending, completed_count AS completed,
         segments_sent AS "segmentsSent", ${PROCESSING_MS_SO_FAR} AS "processingMs",
         send_window AS "sendWindow", outside_window AS "outsideWindow",
         next_window_at AS "nextWindowAt"
  FROM batches WHERE id = $1 AND account_id = $2`;

/**
 * The batch's timeline at one resolution, oldest first; $1 batch id, $2 resolution in seconds.
 * `delivered` and `undelivered` are final receipts, counted in the bucket of their arrival.
 */
export const READ_TIMELINE = `
  SELECT t, sent, failed, throttled, delivered, undelivered FROM batch_timeline
  WHERE batch_id = $1 AND resolution = $2 ORDER BY t`;

/**
 * The batch's provider rate limits, its limiter-wait and latency histograms, and its delivery
 * latency histogram ('{}' until the first final receipt); $1 batch id.
 */
export const READ_RATE_STATS = `
  SELECT throttle_events AS "throttleEvents", paused_ms AS "pausedMs",
         last_retry_after_ms AS "lastRetryAfterMs", last_rate_limit AS "lastRateLimit",
         wait_max_ms AS "waitMaxMs", wait_histogram AS "waitHistogram",
         latency_histogram AS "latencyHistogram",
         delivery_latency_histogram AS "deliveryLatencyHistogram"
  FROM batch_rate_stats WHERE batch_id = $1`;

/** Receipts applied to the batch's messages, per provider status and category; $1 batch id. */
export const READ_RECEIPT_COUNTS = `
  SELECT status, category, count FROM batch_receipt_counts WHERE batch_id = $1`;

/** The batch's counts and latency histogram per provider; $1 batch id. */
export const READ_PROVIDER_STATS = `
  SELECT provider, sent, failed, delivered, undelivered, latency_histogram AS "latencyHistogram"
  FROM batch_provider_stats WHERE batch_id = $1`;

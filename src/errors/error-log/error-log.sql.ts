// The SQL that writes the error log. Every statement that fails a message (a provider's answer,
// an expired validity) ends with it, so the log and its summaries move in the same transaction as
// the message states and the batch counters.
import type { ErrorStage } from './message-error.entity';

/**
 * `categories` (a message's column, text[] or null) with `category` added once: the categories a
 * message has failed in, so that each summary counts distinct messages as it goes.
 */
export function withCategory(categories: string, category: string): string {
  return `CASE WHEN ${category} = ANY(COALESCE(${categories}, '{}')) THEN ${categories}
               ELSE array_append(COALESCE(${categories}, '{}'), ${category}) END`;
}

/** True when `category` is not yet among the message's `categories` (its first failure there). */
export function isFirstInCategory(categories: string, category: string): string {
  return `NOT (${category} = ANY(COALESCE(${categories}, '{}')))`;
}

/**
 * Data-modifying CTEs that log the rows of CTE `failures` (batch_id, seq, attempt, category, code,
 * message, retried, at, first_in_category) and add them to the per-category and per-code
 * summaries. The CTE named `counts` returns (batch_id, category, appeared) per category, for
 * appearedCategories(). Its helper CTEs are named after `counts`, so one statement may log two
 * sets. `stage` says where the failure came from: `send` (the provider refused the call) or
 * `delivery` (a receipt said undelivered). Summary rows are upserted in key order, the one lock order of every writer. The
 * statement's callers hold their batches' row locks, so two writers of one batch never race.
 */
export function logFailures(failures: string, counts: string, stage: ErrorStage = 'send'): string {
  return `
  ${counts}_logged AS (
    INSERT INTO message_errors (batch_id, seq, attempt, category, code, message, retried, at, stage)
    SELECT batch_id, seq, attempt, category, code, message, retried, at, '${stage}'
    FROM ${failures} ORDER BY at, seq
  ),
  ${counts} AS (
    INSERT INTO batch_error_categories AS s
      (batch_id, category, count, delivery_count, messages, example, first_at, last_at)
    SELECT batch_id, category, count(*), ${stage === 'delivery' ? 'count(*)' : '0'},
           count(*) FILTER (WHERE first_in_category),
           (array_agg(message ORDER BY at, seq))[1], min(at), max(at)
    FROM ${failures} GROUP BY batch_id, category ORDER BY batch_id, category
    ON CONFLICT (batch_id, category) DO UPDATE SET
      count = s.count + excluded.count,
      delivery_count = s.delivery_count + excluded.delivery_count,
      messages = s.messages + excluded.messages,
      first_at = LEAST(s.first_at, excluded.first_at),
      last_at = GREATEST(s.last_at, excluded.last_at)
    -- Inserted, not updated: the category appears in the batch for the first time.
    RETURNING batch_id, category, (xmax = 0) AS appeared
  ),
  ${counts}_codes AS (
    INSERT INTO batch_error_codes AS c (batch_id, category, code, count)
    SELECT batch_id, category, code, count(*)
    FROM ${failures} GROUP BY batch_id, category, code ORDER BY batch_id, category, code
    ON CONFLICT (batch_id, category, code) DO UPDATE SET count = c.count + excluded.count
  )`;
}

/** The categories of batch `batchId` that logFailures(…, `counts`) saw for the first time (text[] or null). */
export const appearedCategories = (counts: string, batchId: string): string =>
  `(SELECT array_agg(category ORDER BY category) FROM ${counts}
    WHERE batch_id = ${batchId} AND appeared)`;

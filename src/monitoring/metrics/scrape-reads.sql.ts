// What a Prometheus scrape reads from PostgreSQL.

/** Batches of every account by status; rows of `status` and `batches`. */
export const COUNT_BATCHES_BY_STATUS =
  'SELECT status, count(*)::int AS batches FROM batches GROUP BY status';

// What SentRateService reads: accepted messages per batch over the last seconds.

/** ($1 batch ids, $2 seconds) → (batchId, sent) for each batch that sent anything. */
export const SENT_WITHIN = `
  SELECT batch_id AS "batchId", sum(sent) AS sent FROM batch_timeline
  WHERE batch_id = ANY($1) AND resolution = 1
    AND t > now() - make_interval(secs => $2::double precision)
  GROUP BY batch_id`;

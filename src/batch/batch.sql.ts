// SQL fragments about a batch row, shared by every statement that ends a stretch of processing.

/** processing_ms with the current stretch (since resumed_at) added: assign it when one ends. */
export const PROCESSING_MS_SO_FAR = `processing_ms
  + COALESCE((extract(epoch FROM now() - resumed_at) * 1000)::bigint, 0)`;

/** When the MESSAGE_VALIDITY_SECONDS clock of batch row `b` started: its start or last reopening. */
export const validFrom = (b: string) => `COALESCE(${b}.valid_from, ${b}.started_at)`;

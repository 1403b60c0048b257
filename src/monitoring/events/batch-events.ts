// What processes tell the Socket.IO side about batches, over Redis. A notice says that something
// changed; the API processes turn it into `batch:*` events for the sockets that follow the batch.
import type { BatchStatusDto } from '../../batch/dto/batch-status.dto';
import type { ErrorCategory } from '../../errors/error-taxonomy';

/** The Socket.IO namespace dashboards connect to. */
export const BATCH_NAMESPACE = '/batches';

/** The server-side event that carries notices between processes (never sent to a socket). */
export const NOTICE_EVENT = 'salvo:batch-notice';

/** A batch and the account that owns it: who may hear about it. */
export interface BatchRef {
  id: string;
  accountId: string;
}

export type BatchNotice =
  /** The batch's counters may have moved: followers get its latest state, coalesced. */
  | { kind: 'progress'; batches: BatchRef[] }
  /** The batch changed status (or was created); `batch` is its state right after. */
  | { kind: 'status'; accountId: string; batch: BatchStatusDto }
  /** A failure category appeared in the batch for the first time. */
  | { kind: 'error'; accountId: string; batchId: string; category: ErrorCategory };

/** Socket.IO's channels (adapter and emitter) live under REDIS_PREFIX like every other key. */
export function socketIoKey(redisPrefix: string): string {
  return `${redisPrefix}:socket.io`;
}

// What the batch domain tells the Socket.IO side about batches, over Redis: one typed map of
// notices. A notice says that something changed; the API processes turn it into `batch:*` events
// for the sockets that follow the batch. API and worker processes of different versions share
// Redis, so the names and shapes here are a wire format: change them only compatibly.
import type { ErrorCategory } from '../../errors/error-taxonomy';
import type { BatchStatusDto } from '../dto/batch-status.dto';

/** The Socket.IO namespace dashboards connect to. */
export const BATCH_NAMESPACE = '/batches';

/** The server-side event that carries notices between processes (never sent to a socket). */
export const NOTICE_EVENT = 'salvo:batch-notice';

/** A batch and the account that owns it: who may hear about it. */
export interface BatchRef {
  id: string;
  accountId: string;
}

/** Every notice the batch domain publishes, by kind, with what it carries. */
export interface BatchNoticeMap {
  /** The batch's counters may have moved: followers get its latest state, coalesced. */
  progress: { batches: BatchRef[] };
  /** The batch changed status (or was created); `batch` is its state right after. */
  status: { accountId: string; batch: BatchStatusDto };
  /** A failure category appeared in the batch for the first time. */
  error: { accountId: string; batchId: string; category: ErrorCategory };
  /**
   * The publishing process could not reach Redis from `since` (ISO time, its clock) until just
   * now: notices it published meanwhile are lost, and followers catch up from the database.
   */
  lost: { since: string };
}

export type BatchNoticeKind = keyof BatchNoticeMap;

/** A notice as it travels: its kind first, then what that kind carries. */
export type BatchNotice<K extends BatchNoticeKind = BatchNoticeKind> = {
  [P in K]: { kind: P } & BatchNoticeMap[P];
}[K];

/** Socket.IO's channels (adapter and emitter) live under REDIS_PREFIX like every other key. */
export function socketIoKey(redisPrefix: string): string {
  return `${redisPrefix}:socket.io`;
}

// Which action a batch accepts in which status, and the statuses it leads to: the one table every
// statement that writes a batch's status takes its allowed source statuses from (allowedFrom).
import type { BatchStatus } from './entities/batch.entity';

/** A user's actions: the API's lifecycle endpoints. */
export const BATCH_ACTIONS = ['start', 'pause', 'resume', 'cancel', 'retry-failed'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];
/** The actions that only change the batch's status. */
export type StatusAction = Exclude<BatchAction, 'retry-failed'>;

/** What dispatch and the reconciler do to a batch on their own. */
export const SYSTEM_ACTIONS = [
  'scheduled-start',
  'quota-pause',
  'requeue',
  'guard-pause',
  'fail-batch',
  'expire',
  'finish',
  'cancel-expired-claims',
] as const;
export type SystemAction = (typeof SYSTEM_ACTIONS)[number];
export type Action = BatchAction | SystemAction;

const USER: Readonly<Record<BatchAction, Partial<Record<BatchStatus, BatchStatus>>>> = {
  start: { pending: 'processing' },
  pause: { processing: 'paused' },
  resume: { paused: 'processing' },
  cancel: { pending: 'cancelled', processing: 'cancelled', paused: 'cancelled' },
  // When it finds failures to requeue; with none, the batch stays as it is. A paused batch keeps
  // them for its resume.
  'retry-failed': {
    pending: 'pending',
    processing: 'processing',
    paused: 'paused',
    completed: 'processing',
    failed: 'processing',
  },
};

const SYSTEM: Readonly<Record<SystemAction, Partial<Record<BatchStatus, readonly BatchStatus[]>>>> =
  {
    // An auto-starting batch whose schedule_time has come; paused instead when its daily quota
    // cannot take it (it takes the quota when resumed).
    'scheduled-start': { pending: ['processing'] },
    'quota-pause': { pending: ['paused'] },
    // A processing batch with pending messages whose jobs Redis lost: a new generation of jobs.
    requeue: { processing: ['processing'] },
    // The error-rate guard.
    'guard-pause': { processing: ['paused'] },
    // The provider refused our credentials.
    'fail-batch': { processing: ['failed'], paused: ['failed'] },
    // Past MESSAGE_VALIDITY_SECONDS: what is left fails; then the batch finishes.
    expire: { processing: ['processing'], paused: ['paused'] },
    // Nothing pending any more: completed when anything was accepted, failed otherwise.
    finish: { processing: ['completed', 'failed'], paused: ['completed', 'failed'] },
    // Claims of a stopped (cancelled or failed) batch whose worker died, or which a worker gave
    // back unresolved, are cancelled, never sent again: nothing else would settle them.
    'cancel-expired-claims': { cancelled: ['cancelled'], failed: ['failed'] },
  };

const isUserAction = (action: Action): action is BatchAction =>
  (BATCH_ACTIONS as readonly string[]).includes(action);

/** The status a user's `action` leads to from `status`, or null when the batch cannot take it. */
export function transition(status: BatchStatus, action: BatchAction): BatchStatus | null {
  return USER[action][status] ?? null;
}

/** The statuses `action` may lead to from `status` (none when the batch cannot take it). */
export function targets(status: BatchStatus, action: Action): readonly BatchStatus[] {
  if (!isUserAction(action)) return SYSTEM[action][status] ?? [];
  const target = transition(status, action);
  return target ? [target] : [];
}

/** The statuses a batch may be in to take `action`: the SQL's `status = ANY($n)`. */
export function allowedFrom(action: Action): BatchStatus[] {
  return Object.keys(isUserAction(action) ? USER[action] : SYSTEM[action]) as BatchStatus[];
}

/** Statuses a batch leaves only through retry-failed (completed, failed) or never (cancelled). */
export const FINAL_STATUSES: readonly BatchStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * Stopped for good (cancelled, or failed on refused credentials): a message of such a batch that
 * was claimed or due for a retry is cancelled instead, never sent.
 */
export const STOPPED_STATUSES: readonly BatchStatus[] = ['cancelled', 'failed'];

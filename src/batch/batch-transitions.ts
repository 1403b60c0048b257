// Which lifecycle action a batch accepts in which status, and the status it leads to (DESIGN.md).
import type { BatchStatus } from './entities/batch.entity';

export const BATCH_ACTIONS = ['start', 'pause', 'resume', 'cancel', 'retry-failed'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];
/** The actions that only change the batch's status. */
export type StatusAction = Exclude<BatchAction, 'retry-failed'>;

const TRANSITIONS: Readonly<Record<BatchAction, Partial<Record<BatchStatus, BatchStatus>>>> = {
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

/** The status `action` leads to from `status`, or null when the batch cannot take it. */
export function transition(status: BatchStatus, action: BatchAction): BatchStatus | null {
  return TRANSITIONS[action][status] ?? null;
}

export function allowedFrom(action: BatchAction): BatchStatus[] {
  return Object.keys(TRANSITIONS[action]) as BatchStatus[];
}

/** Statuses a batch leaves only through retry-failed (completed, failed) or never (cancelled). */
export const FINAL_STATUSES: readonly BatchStatus[] = ['completed', 'failed', 'cancelled'];

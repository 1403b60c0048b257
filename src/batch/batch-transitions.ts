// Which lifecycle action a batch accepts in which status (DESIGN.md; the dispatch issue).
import type { BatchStatus } from './entities/batch.entity';

export const BATCH_ACTIONS = ['start', 'pause', 'resume', 'cancel'] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

const TRANSITIONS: Readonly<
  Record<BatchAction, { from: readonly BatchStatus[]; to: BatchStatus }>
> = {
  start: { from: ['pending'], to: 'processing' },
  pause: { from: ['processing'], to: 'paused' },
  resume: { from: ['paused'], to: 'processing' },
  cancel: { from: ['pending', 'processing', 'paused'], to: 'cancelled' },
};

/** The status `action` leads to from `status`, or null when the batch cannot take it. */
export function transition(status: BatchStatus, action: BatchAction): BatchStatus | null {
  const rule = TRANSITIONS[action];
  return rule.from.includes(status) ? rule.to : null;
}

export function allowedFrom(action: BatchAction): readonly BatchStatus[] {
  return TRANSITIONS[action].from;
}

/** Statuses a batch never leaves (retry-failed, in the errors issue, reopens completed and failed). */
export const FINAL_STATUSES: readonly BatchStatus[] = ['completed', 'failed', 'cancelled'];

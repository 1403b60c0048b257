import { BATCH_STATUSES, type BatchStatus } from './entities/batch.entity';
import {
  allowedFrom,
  FINAL_STATUSES,
  BATCH_ACTIONS,
  SYSTEM_ACTIONS,
  targets,
  transition,
  type Action,
  type BatchAction,
} from './batch-transitions';

const USER: Record<BatchAction, Partial<Record<BatchStatus, BatchStatus>>> = {
  start: { pending: 'processing' },
  pause: { processing: 'paused' },
  resume: { paused: 'processing' },
  cancel: { pending: 'cancelled', processing: 'cancelled', paused: 'cancelled' },
  'retry-failed': {
    pending: 'pending',
    processing: 'processing',
    paused: 'paused',
    completed: 'processing',
    failed: 'processing',
  },
};

const EVERY: Record<Action, Partial<Record<BatchStatus, BatchStatus[]>>> = {
  ...(Object.fromEntries(
    Object.entries(USER).map(([action, table]) => [
      action,
      Object.fromEntries(Object.entries(table).map(([from, to]) => [from, [to]])),
    ]),
  ) as Record<BatchAction, Partial<Record<BatchStatus, BatchStatus[]>>>),
  'scheduled-start': { pending: ['processing'] },
  'quota-pause': { pending: ['paused'] },
  requeue: { processing: ['processing'] },
  'guard-pause': { processing: ['paused'] },
  'fail-batch': { processing: ['failed'], paused: ['failed'] },
  expire: { processing: ['processing'], paused: ['paused'] },
  finish: { processing: ['completed', 'failed'], paused: ['completed', 'failed'] },
  'cancel-expired-claims': { cancelled: ['cancelled'], failed: ['failed'] },
};

describe('transition', () => {
  const table = BATCH_ACTIONS.flatMap((action) =>
    BATCH_STATUSES.map((status) => [action, status, USER[action][status] ?? null] as const),
  );
  it.each(table)('%s from %s -> %s', (action, status, expected) => {
    expect(transition(status, action)).toBe(expected);
  });
});

describe('targets', () => {
  const table = [...BATCH_ACTIONS, ...SYSTEM_ACTIONS].flatMap((action) =>
    BATCH_STATUSES.map((status) => [action, status, EVERY[action][status] ?? []] as const),
  );
  it.each(table)('%s from %s -> %j', (action, status, expected) => {
    expect(targets(status, action)).toEqual(expected);
  });
});

describe('allowedFrom', () => {
  it.each([...BATCH_ACTIONS, ...SYSTEM_ACTIONS])('%s: the statuses with a target', (action) => {
    const expected = BATCH_STATUSES.filter((status) => EVERY[action][status]?.length);
    expect([...allowedFrom(action)].sort()).toEqual([...expected].sort());
  });

  // A system action never moves a batch out of a final status: only retry-failed reopens one.
  it.each(SYSTEM_ACTIONS)(
    '%s never moves a batch out of completed, failed or cancelled',
    (action) => {
      for (const status of FINAL_STATUSES) {
        expect(targets(status, action).filter((target) => target !== status)).toEqual([]);
      }
    },
  );
});

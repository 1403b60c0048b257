import { BATCH_STATUSES, type BatchStatus } from './entities/batch.entity';
import { BATCH_ACTIONS, transition, type BatchAction } from './batch-transitions';

const EXPECTED: Record<BatchAction, Partial<Record<BatchStatus, BatchStatus>>> = {
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

describe('transition', () => {
  const table = BATCH_ACTIONS.flatMap((action) =>
    BATCH_STATUSES.map((status) => [action, status, EXPECTED[action][status] ?? null] as const),
  );
  it.each(table)('%s from %s -> %s', (action, status, expected) => {
    expect(transition(status, action)).toBe(expected);
  });
});

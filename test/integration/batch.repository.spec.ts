// A user's actions on the batch row, on the real PostgreSQL: each moves a batch only from the
// statuses the transition table allows (allowedFrom) and leaves a batch in any other as it was;
// retry-failed moves its counters so that they still add up (batches_counters_add_up).
import type { EntityManager } from 'typeorm';
import { BatchRepository } from '../../src/batch/batch.repository';
import { allowedFrom, BATCH_ACTIONS, type BatchAction } from '../../src/batch/batch-transitions';
import type { DispatchRepository } from '../../src/batch/dispatch/dispatch.repository';
import type { QueueableBatch } from '../../src/batch/dispatch/dispatch.producer';
import { BATCH_STATUSES, type BatchStatus } from '../../src/batch/entities/batch.entity';
import { retrySelection } from '../../src/errors/error-taxonomy';
import {
  batchState,
  insertAccount,
  insertBatch,
  messageStatuses,
  type MessageRow,
} from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository } from './support/services';

const sent: MessageRow = { status: 'sent', attempts: 1 };
const failed: MessageRow = {
  status: 'failed',
  attempts: 1,
  lastError: { category: 'provider_error', code: 'E503', message: 'Unavailable.' },
};

/** Messages a batch in each status could have. */
const MESSAGES: Record<BatchStatus, MessageRow[]> = {
  pending: [{}, {}],
  processing: [sent, failed, {}],
  paused: [sent, failed, {}],
  completed: [sent, failed],
  failed: [failed, failed],
  cancelled: [sent, { status: 'cancelled' }],
};

describe('BatchRepository: a user action', () => {
  let db: MigratedDatabase;
  let dispatch: DispatchRepository;
  const batches = new BatchRepository();
  let accountId: string;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    dispatch = newDispatchRepository(db.dataSource);
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  /** Each action as its route calls it, and the status it sets; retry-failed with nothing to requeue. */
  const ACTIONS: Record<
    BatchAction,
    { act: (m: EntityManager, id: string) => Promise<QueueableBatch[]>; to: BatchStatus | 'same' }
  > = {
    start: { act: (m, id) => batches.start(m, accountId, id), to: 'processing' },
    pause: { act: (m, id) => batches.pause(m, accountId, id), to: 'paused' },
    resume: { act: (m, id) => batches.resume(m, id), to: 'processing' },
    cancel: { act: (m, id) => batches.cancel(m, id), to: 'cancelled' },
    'retry-failed': { act: (m, id) => batches.retryFailed(m, id, 0, false), to: 'same' },
  };
  const cases = BATCH_ACTIONS.flatMap((action) =>
    BATCH_STATUSES.map((status) => [action, status] as const),
  );
  const rowOf = async (id: string) =>
    (await db.dataSource.query<object[]>(`SELECT * FROM batches WHERE id = $1`, [id]))[0];
  const batchIn = (status: BatchStatus) =>
    insertBatch(db.dataSource, { accountId, status, messages: MESSAGES[status] });

  it.each(cases.filter(([action, status]) => allowedFrom(action).includes(status)))(
    '%s takes a %s batch',
    async (action, status) => {
      const id = await batchIn(status);
      const { act, to } = ACTIONS[action];
      expect(await db.dataSource.transaction((m) => act(m, id))).toMatchObject([{ id }]);
      expect(await batchState(db.dataSource, id)).toMatchObject({
        status: to === 'same' ? status : to,
      });
    },
  );

  it.each(cases.filter(([action, status]) => !allowedFrom(action).includes(status)))(
    '%s refuses a %s batch, leaving it as it was',
    async (action, status) => {
      const id = await batchIn(status);
      const before = await rowOf(id);
      expect(await db.dataSource.transaction((m) => ACTIONS[action].act(m, id))).toEqual([]);
      expect(await rowOf(id)).toEqual(before);
    },
  );

  it.each([
    ['completed', true, 'processing'],
    ['failed', true, 'processing'],
    ['processing', true, 'processing'],
    ['paused', false, 'paused'],
  ] as const)(
    'retry-failed on a %s batch moves its requeued failures to pending in its counters',
    async (status, reopen, expected) => {
      const id = await batchIn(status);
      const before = await batchState(db.dataSource, id);
      const requeued = await db.dataSource.transaction(async (m) => {
        const segments = await dispatch.requeueFailed(m, id, retrySelection());
        await batches.retryFailed(m, id, segments.length, reopen);
        return segments.length;
      });

      expect(requeued).toBe(before.failed);
      const state = await batchState(db.dataSource, id);
      expect(state).toMatchObject({
        status: expected,
        total: before.total,
        pending: before.pending + requeued,
        completed: before.completed,
        failed: 0,
        cancelled: before.cancelled,
        generation: before.generation + (reopen ? 1 : 0),
      });
      expect(state.counted).toEqual({
        pending: state.pending,
        completed: state.completed,
        failed: state.failed,
        cancelled: state.cancelled,
      });
      expect(await messageStatuses(db.dataSource, id)).not.toContain('failed');
    },
  );
});

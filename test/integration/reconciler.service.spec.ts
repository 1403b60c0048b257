// One reconciler pass per stuck state it repairs, on frozen rows of a real PostgreSQL, with an
// in-memory producer, Redis and event sink (the model: a recovery job tested per stuck state).
import { Logger } from '@nestjs/common';
import { ADVISORY_LOCKS } from '../../src/database/database-setup';
import {
  batchState,
  insertAccount,
  insertBatch,
  messagesOf,
  messageStatuses,
} from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newReconciler } from './support/services';

describe('ReconcilerService', () => {
  let db: MigratedDatabase;
  let accountId: string;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the pass logs what it did; the assertions say it here
    db = await createMigratedDatabase();
  });
  afterAll(() => db.drop());
  // Each case sees only its own batches.
  beforeEach(async () => {
    await db.dataSource.query(`DELETE FROM batches`);
    accountId = await insertAccount(db.dataSource);
  });

  it('starts a scheduled batch whose time has come and queues it from the start', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      status: 'pending',
      scheduleInS: -1,
      startedAgoS: null,
    });
    const { reconciler, fakes } = newReconciler(db.dataSource);
    await reconciler.reconcile();

    expect(await batchState(db.dataSource, id)).toMatchObject({
      status: 'processing',
      generation: 1,
      quotaTaken: true,
    });
    expect(fakes.queued).toEqual([
      { batch: expect.objectContaining({ id, generation: 1 }), from: 0 },
    ]);
    expect(fakes.announced.map((b) => [b.id, b.status])).toEqual([[id, 'processing']]);
  });

  it('leaves a batch scheduled for later alone', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      status: 'pending',
      scheduleInS: 60,
      startedAgoS: null,
    });
    const { reconciler, fakes } = newReconciler(db.dataSource);
    await reconciler.reconcile();

    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'pending' });
    expect(fakes.queued).toEqual([]);
  });

  it('pauses a scheduled batch its daily quota cannot take, saying so', async () => {
    const poor = await insertAccount(db.dataSource, { dailyMessages: 2 });
    const id = await insertBatch(db.dataSource, {
      accountId: poor,
      status: 'pending',
      messages: 3,
      scheduleInS: -1,
      startedAgoS: null,
    });
    const { reconciler, fakes } = newReconciler(db.dataSource);
    await reconciler.reconcile();

    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ status: 'paused', quotaTaken: false });
    expect(state.pauseReason).toMatch(/quota/i);
    expect(fakes.queued).toEqual([]);
    expect(fakes.announced.map((b) => [b.id, b.status])).toEqual([[id, 'paused']]);
  });

  it('requeues a processing batch whose jobs Redis no longer holds, from its first unsent message', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ status: 'sent' }, {}, {}],
      startedAgoS: 60,
    });
    const { reconciler, fakes } = newReconciler(db.dataSource);
    await reconciler.reconcile();

    expect(await batchState(db.dataSource, id)).toMatchObject({
      status: 'processing',
      generation: 2,
    });
    expect(fakes.queued).toEqual([
      { batch: expect.objectContaining({ id, generation: 2 }), from: 1 },
    ]);
  });

  it.each([
    ['Redis holds its jobs', { startedAgoS: 60, jobs: true }],
    ['it started less than an interval ago', { startedAgoS: 0, jobs: false }],
  ])('leaves a processing batch alone when %s', async (_, { startedAgoS, jobs }) => {
    const id = await insertBatch(db.dataSource, { accountId, startedAgoS });
    const { reconciler, fakes } = newReconciler(db.dataSource, { withJobs: jobs ? [id] : [] });
    await reconciler.reconcile();

    expect(await batchState(db.dataSource, id)).toMatchObject({ generation: 1 });
    expect(fakes.queued).toEqual([]);
  });

  it('queues every processing batch afresh when Redis lost its data', async () => {
    const id = await insertBatch(db.dataSource, { accountId, startedAgoS: 0 });
    const { reconciler, fakes } = newReconciler(db.dataSource, { redisLost: true, withJobs: [] });
    await reconciler.reconcile();
    expect(fakes.queued.map((q) => q.batch.id)).toEqual([id]);

    // The sentinel is back: the next pass trusts Redis again.
    await reconciler.reconcile();
    expect(fakes.queued).toHaveLength(1);
  });

  it('cancels the expired claims of a failed batch too, so its pending count reaches zero', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      status: 'failed',
      messages: [{ status: 'failed' }, { status: 'sending', claimedForS: -1 }],
    });
    const { reconciler } = newReconciler(db.dataSource);
    await reconciler.reconcile();

    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ status: 'failed', pending: 0, failed: 1, cancelled: 1 });
    expect(state.counted).toMatchObject({ pending: 0, cancelled: 1 });
    const [, expired] = await messagesOf(db.dataSource, id);
    expect(expired.lastError?.code).toBe('OUTCOME_UNKNOWN');
  });

  it('cancels the expired claims of a cancelled batch, its outcome unknown', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      status: 'cancelled',
      messages: [
        { status: 'sending', claimedForS: -1 },
        { status: 'sending', claimedForS: 60 },
      ],
    });
    const { reconciler, fakes } = newReconciler(db.dataSource);
    await reconciler.reconcile();

    expect(await messageStatuses(db.dataSource, id)).toEqual(['cancelled', 'sending']);
    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ status: 'cancelled', pending: 1, cancelled: 1 });
    expect(state.counted).toMatchObject({ pending: 1, cancelled: 1 });
    const [expired] = await messagesOf(db.dataSource, id);
    expect(expired.lastError?.code).toBe('OUTCOME_UNKNOWN');
    expect(fakes.progressed).toEqual([{ id, accountId }]);
    expect(fakes.queued).toEqual([]);
  });

  it('fails what a batch past its validity has left, and finishes it', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      status: 'paused',
      messages: [{ status: 'sent' }, {}, { status: 'sending', claimedForS: -1 }],
      startedAgoS: 10,
    });
    const { reconciler, fakes } = newReconciler(db.dataSource, { retry: { validityMs: 5_000 } });
    await reconciler.reconcile();

    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ status: 'completed', pending: 0, completed: 1, failed: 2 });
    expect(fakes.appeared).toEqual([{ batchId: id, category: 'timeout' }]);
    expect(fakes.announced.map((b) => [b.id, b.status])).toEqual([[id, 'completed']]);
    expect(fakes.queued).toEqual([]);
  });

  it('fails an expired claim of a provider without idempotency keys as an unknown outcome', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{}, { status: 'sending', claimedForS: -1 }],
      startedAgoS: 10,
    });
    const { reconciler } = newReconciler(db.dataSource, {
      retry: { validityMs: 5_000 },
      idempotent: false,
    });
    await reconciler.reconcile();
    expect((await messagesOf(db.dataSource, id)).map((m) => m.lastError?.code)).toEqual([
      'VALIDITY_EXPIRED',
      'OUTCOME_UNKNOWN',
    ]);
  });

  it('does nothing while another worker holds the reconcile lock', async () => {
    const id = await insertBatch(db.dataSource, { accountId, startedAgoS: 60 });
    const holder = db.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`SELECT pg_advisory_xact_lock($1)`, [ADVISORY_LOCKS.reconcile]);
    try {
      const { reconciler, fakes } = newReconciler(db.dataSource);
      await reconciler.reconcile();
      expect(fakes.queued).toEqual([]);
      expect(await batchState(db.dataSource, id)).toMatchObject({ generation: 1 });
    } finally {
      await holder.rollbackTransaction();
      await holder.release();
    }
  });
});

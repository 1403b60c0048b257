// Messages whose last call may have sent an SMS, with a provider that honours no idempotency key:
// they stay in doubt through a release and through expiry, so nothing sends them a second time.
import type { DispatchRepository } from '../../src/batch/dispatch/dispatch.repository';
import { retrySelection } from '../../src/errors/error-taxonomy';
import {
  batchState,
  insertAccount,
  insertBatch,
  messagesOf,
  messageStatuses,
} from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository } from './support/services';

describe('unknown outcomes in the dispatch SQL', () => {
  let db: MigratedDatabase;
  let dispatch: DispatchRepository;
  let accountId: string;
  /** A worker died during the first message's call; its claim ran out 5 s ago. */
  const inDoubt = () =>
    insertBatch(db.dataSource, {
      accountId,
      messages: [{ status: 'sending', claimedForS: -5 }, {}],
    });
  const lastErrors = async (id: string) =>
    (await messagesOf(db.dataSource, id)).map(
      ({ lastError: e }) => e && { category: e.category, code: e.code },
    );

  beforeAll(async () => {
    db = await createMigratedDatabase();
    dispatch = newDispatchRepository(db.dataSource);
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  it('a claim says which messages it took over from an expired sending claim', async () => {
    const id = await inDoubt();
    const claimed = await dispatch.claim(id, 0, 2, 2);
    expect(claimed.map((m) => m.reclaimed)).toEqual([true, false]);
  });

  it('a released re-claim still in doubt is claimed as a re-claim again, not as pending', async () => {
    const id = await inDoubt();
    const claimed = await dispatch.claim(id, 0, 2, 2);
    await dispatch.release(
      id,
      claimed.map(({ seq, token, reclaimed }) => ({ seq, token, unresolved: reclaimed })),
    );
    expect(await messageStatuses(db.dataSource, id)).toEqual(['sending', 'pending']);
    const again = await dispatch.claim(id, 0, 2, 2);
    expect(again.map((m) => m.reclaimed)).toEqual([true, false]);
    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ pending: 2 });
    expect(state.counted).toMatchObject({ pending: 2 });
  });

  it('expiry fails an expired claim as OUTCOME_UNKNOWN, which retry-failed leaves by default', async () => {
    const id = await inDoubt();
    await dispatch.expire(id, []);
    expect(await lastErrors(id)).toEqual([
      { category: 'unknown', code: 'OUTCOME_UNKNOWN' },
      { category: 'timeout', code: 'VALIDITY_EXPIRED' },
    ]);
    const requeued = await db.dataSource.transaction((manager) =>
      dispatch.requeueFailed(manager, id, retrySelection()),
    );
    expect(requeued).toHaveLength(1);
    expect(await messageStatuses(db.dataSource, id)).toEqual(['failed', 'pending']);
  });

  it('expiry keeps the doubt of a requeued unknown outcome that was never tried again', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [
        { lastError: { category: 'unknown', code: 'OUTCOME_UNKNOWN', message: 'earlier' } },
      ],
    });
    await dispatch.expire(id, []);
    expect(await lastErrors(id)).toEqual([{ category: 'unknown', code: 'OUTCOME_UNKNOWN' }]);
  });

  it('a re-claim in doubt of a batch cancelled meanwhile is cancelled as an unknown outcome', async () => {
    const id = await inDoubt();
    const claimed = await dispatch.claim(id, 0, 2, 2);
    await db.dataSource.query(`UPDATE batches SET status = 'cancelled' WHERE id = $1`, [id]);
    await dispatch.release(
      id,
      claimed.map(({ seq, token, reclaimed }) => ({ seq, token, unresolved: reclaimed })),
    );
    expect(await messageStatuses(db.dataSource, id)).toEqual(['cancelled', 'cancelled']);
    expect(await lastErrors(id)).toEqual([{ category: 'unknown', code: 'OUTCOME_UNKNOWN' }, null]);
  });

  it('with a provider that honours idempotency keys, expiry stays as it was', async () => {
    const id = await inDoubt();
    await dispatch.expire(id, ['simulated']);
    expect(await lastErrors(id)).toEqual([
      { category: 'timeout', code: 'VALIDITY_EXPIRED' },
      { category: 'timeout', code: 'VALIDITY_EXPIRED' },
    ]);
  });
});

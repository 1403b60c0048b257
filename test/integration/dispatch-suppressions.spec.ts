// Suppressed numbers at send time (issue 17) on the real PostgreSQL: a message whose number is
// suppressed for its batch's account (deployment-wide, or the account's own entry) fails with
// opted_out/SUPPRESSED when it is claimed, without a provider call or a counted attempt, however
// late the opt-out came; another account's entries change nothing.
import type { DataSource } from 'typeorm';
import type { SendRequest, SendResult } from '../../src/sms/sms-provider';
import { batchState, insertAccount, insertBatch, messagesOf } from '../factories/batch-rows';
import { insertSuppression } from '../factories/suppressions';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository } from './support/services';
import { FakeProvider, newTestDispatch, rejected } from './support/test-dispatch';

const OPTED_OUT = '+12015550110';
const ON_MY_LIST = '+12015550111';
const ON_THEIR_LIST = '+12015550112';
const FINE = '+12015550113';

const suppress = (db: DataSource, phoneNumber: string, accountId: string | null) =>
  insertSuppression(db, phoneNumber, accountId);

/** A provider that learns of an opt-out while it sends to one number (a STOP mid-batch). */
class OptOutDuringSend extends FakeProvider {
  constructor(
    private readonly db: DataSource,
    private readonly during: string,
    private readonly optsOut: string,
  ) {
    super();
  }

  override async send(request: SendRequest): Promise<SendResult> {
    if (request.to === this.during) await suppress(this.db, this.optsOut, null);
    return super.send(request);
  }
}

describe('Dispatch and suppressed numbers', () => {
  let db: MigratedDatabase;
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    mine = await insertAccount(db.dataSource);
    theirs = await insertAccount(db.dataSource);
    await suppress(db.dataSource, OPTED_OUT, null);
    await suppress(db.dataSource, ON_MY_LIST, mine);
    await suppress(db.dataSource, ON_THEIR_LIST, theirs);
  });
  afterAll(() => db.drop());

  it('fails suppressed numbers with SUPPRESSED, calls nobody for them, and sends the rest', async () => {
    const dispatch = newTestDispatch(db);
    const id = await insertBatch(db.dataSource, {
      accountId: mine,
      messages: [OPTED_OUT, ON_MY_LIST, ON_THEIR_LIST, FINE].map((phoneNumber) => ({
        phoneNumber,
      })),
    });

    await dispatch.run(id);

    expect(dispatch.provider.sent.map((request) => request.to)).toEqual([ON_THEIR_LIST, FINE]);
    const suppressed = {
      status: 'failed',
      attempts: 0,
      provider: null,
      lastError: { category: 'opted_out', code: 'SUPPRESSED', message: expect.any(String) },
    };
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      suppressed,
      suppressed,
      { status: 'sent', attempts: 1 },
      { status: 'sent', attempts: 1 },
    ]);
    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ status: 'completed', completed: 2, failed: 2, pending: 0 });
    expect(state.counted).toEqual({ pending: 0, completed: 2, failed: 2, cancelled: 0 });
    // In the error log, as any failure, under its own code.
    const [logged] = await db.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM message_errors
        WHERE batch_id = $1 AND category = 'opted_out' AND code = 'SUPPRESSED'`,
      [id],
    );
    expect(logged.count).toBe(2);
  });

  it('claims no message whose number was suppressed after the round read it; the next round fails it', async () => {
    const repository = newDispatchRepository(db.dataSource);
    const number = '+12015550130';
    const id = await insertBatch(db.dataSource, {
      accountId: mine,
      messages: [{ phoneNumber: number }, { phoneNumber: FINE }],
    });
    const read = await repository.candidates(id, 0, 2, 10);
    expect(read.map((c) => c.suppressed)).toEqual([false, false]);

    await suppress(db.dataSource, number, mine); // the STOP lands between the read and the claim
    const claimed = await repository.claimMessages(id, [0, 1], 'simulated');
    expect(claimed.map((m) => m.phoneNumber)).toEqual([FINE]);

    const next = await repository.candidates(id, 0, 2, 10);
    expect(next).toMatchObject([{ seq: 0, suppressed: true }]);
    // Whatever the message's pin, the suppressed claim takes it, and only while suppressed.
    expect((await repository.claimSuppressed(id, [0, 1])).map((m) => m.seq)).toEqual([0]);
  });

  it('fails a message whose number opted out after the batch started, at its next claim', async () => {
    const first = '+12015550120';
    const later = '+12015550121';
    const provider = new OptOutDuringSend(db.dataSource, first, later);
    // The later number's first call fails transiently; before its retry, the STOP arrives.
    provider.answer(later, rejected('provider_error', '500'));
    const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    const id = await insertBatch(db.dataSource, {
      accountId: mine,
      messages: [{ phoneNumber: later }, { phoneNumber: first }],
    });

    await dispatch.run(id);
    await dispatch.run(id); // the retry, as its recheck would run it

    expect(provider.sent.map((request) => request.to)).toEqual([later, first]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'failed', attempts: 1, lastError: { category: 'opted_out', code: 'SUPPRESSED' } },
      { status: 'sent' },
    ]);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'completed', failed: 1 });
  });
});

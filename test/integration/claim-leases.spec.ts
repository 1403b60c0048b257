// Short claim leases on the real PostgreSQL: a live worker's renewal extends the claims it still
// holds and never one that ran out or another worker took over; a claim that may have run out
// before its call is not called; a late result under a lapsed claim is refused.
import { dispatchConfig } from '../../src/config/configuration';
import { ClaimLeases } from '../../src/batch/dispatch/claim-leases.service';
import type { DispatchRepository } from '../../src/batch/dispatch/dispatch.repository';
import { insertAccount, insertBatch, messagesOf } from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository, resultOf } from './support/services';
import { FakeProvider, newTestDispatch } from './support/test-dispatch';

const A = '+12015550100';
const B = '+12015550101';

describe('claim leases', () => {
  let db: MigratedDatabase;
  let repository: DispatchRepository;
  let accountId: string;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    repository = newDispatchRepository(db.dataSource);
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  /** Each message's lease left in ms on PostgreSQL's clock (negative: run out), and its token. */
  const leasesOf = (batchId: string) =>
    db.dataSource.query<{ seq: number; leftMs: number; token: number }[]>(
      `SELECT seq, claim_token AS token,
              (EXTRACT(EPOCH FROM claimed_until - now()) * 1000)::int AS "leftMs"
       FROM messages WHERE batch_id = $1 ORDER BY seq`,
      [batchId],
    );
  const lapse = (batchId: string, seq: number) =>
    db.dataSource.query(
      `UPDATE messages SET claimed_until = now() - interval '1 second'
       WHERE batch_id = $1 AND seq = $2`,
      [batchId, seq],
    );
  const shorten = (batchId: string) =>
    db.dataSource.query(
      `UPDATE messages SET claimed_until = now() + interval '3 seconds' WHERE batch_id = $1`,
      [batchId],
    );

  it('renewal extends the claims still held, never one that ran out or was taken over', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 4 });
    const claims = await repository.claimMessages(id, [0, 1, 2, 3], 'simulated');
    const held = claims.map(({ seq, token }) => ({ batchId: id, seq, token }));
    await shorten(id);
    // 1 ran out; 2 ran out and another worker took it over; 3 is locked by its result's write.
    await lapse(id, 1);
    await lapse(id, 2);
    const [taken] = await repository.claimMessages(id, [2], 'simulated');
    expect(taken.token).toBe(held[2].token + 1);
    const before = await leasesOf(id);

    const writer = db.dataSource.createQueryRunner();
    await writer.startTransaction();
    try {
      await writer.query(`SELECT 1 FROM messages WHERE batch_id = $1 AND seq = 3 FOR UPDATE`, [id]);
      const renewed = await repository.renewClaims(held);
      expect(renewed).toEqual([held[0]]);
    } finally {
      await writer.rollbackTransaction();
      await writer.release();
    }

    const after = await leasesOf(id);
    const lease = dispatchConfig().claimLeaseMs;
    expect(after[0].leftMs).toBeGreaterThan(lease - 2_000);
    // The lapsed one stays lapsed; the new owner's lease and the locked row's are untouched.
    expect(after[1].leftMs).toBeLessThan(0);
    expect(after.slice(1).map((m) => m.token)).toEqual(before.slice(1).map((m) => m.token));
    expect(after[2].leftMs).toBeLessThanOrEqual(before[2].leftMs);
    expect(after[3].leftMs).toBeLessThanOrEqual(3_000);
  });

  it("a worker's periodic renewal reaches PostgreSQL for the claims it has held a while", async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 2 });
    const leases = new ClaimLeases(repository, dispatchConfig());
    const [old, young] = await repository.claimMessages(id, [0, 1], 'simulated');
    // Claimed 3 s ago as this worker counts (half a renewal interval or more), and just now.
    leases.hold([{ batchId: id, seq: old.seq, token: old.token }], leases.now() - 3_000);
    leases.hold([{ batchId: id, seq: young.seq, token: young.token }], leases.now());
    await shorten(id);
    expect(await leases.renew()).toBe(1);
    const [renewed, untouched] = await leasesOf(id);
    expect(renewed.leftMs).toBeGreaterThan(dispatchConfig().claimLeaseMs - 2_000);
    expect(untouched.leftMs).toBeLessThanOrEqual(3_000);
    expect(leases.leftMs({ batchId: id, seq: old.seq, token: old.token })).toBeGreaterThan(
      dispatchConfig().claimLeaseMs - 1_000,
    );
  });

  it('a claim that may have run out before its call is not called: it goes back pending, and is sent once later', async () => {
    const provider = new FakeProvider();
    // The worker counts on 50 ms; each call waits 300 ms for its permit (a process stopped
    // meanwhile, as far as it can tell).
    const frozen = newTestDispatch(db, { provider, permitDelayMs: 300, localLeaseMs: 50 });
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: A }, { phoneNumber: B }],
    });
    await frozen.run(id);
    expect(provider.sent).toEqual([]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', attempts: 0 },
      { status: 'pending', attempts: 0 },
    ]);
    expect(frozen.leases.size).toBe(0);

    const live = newTestDispatch(db, { provider });
    await live.run(id);
    expect(provider.sent.map((request) => request.to)).toEqual([A, B]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'sent', attempts: 1 },
      { status: 'sent', attempts: 1 },
    ]);
    expect(live.leases.size).toBe(0);
  });

  it("a frozen worker's late give-back and late result change nothing once another worker took the message", async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const [frozen] = await repository.claimMessages(id, [0], 'simulated');
    await lapse(id, 0);
    const [live] = await repository.claimMessages(id, [0], 'simulated');
    await repository.release(id, [{ seq: 0, token: frozen.token }]);
    await repository.writeResults([resultOf(id, frozen, 'failed')]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'sending', attempts: 0 }]);
    await repository.writeResults([resultOf(id, live, 'sent')]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });
});

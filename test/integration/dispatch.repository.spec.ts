// The SQL of dispatch and of the batch row on the real PostgreSQL: claims and their fencing
// tokens, releases, expiry, finishing, and counters that add up under concurrent writers.
import { BatchRepository } from '../../src/batch/batch.repository';
import { OUTCOME_UNKNOWN, retrySelection } from '../../src/errors/error-taxonomy';
import type { DispatchRepository } from '../../src/batch/dispatch/dispatch.repository';
import { batchState, insertAccount, insertBatch, messageStatuses } from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository, resultOf } from './support/services';

describe('DispatchRepository and BatchRepository', () => {
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

  it('a result under a stale claim token writes nothing', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const [first] = await dispatch.claim(id, 0, 1, 1);
    // The first worker's lease runs out and another takes the message over.
    await db.dataSource.query(
      `UPDATE messages SET claimed_until = now() - interval '1 second' WHERE batch_id = $1`,
      [id],
    );
    const [second] = await dispatch.claim(id, 0, 1, 1);
    expect(second.token).toBeGreaterThan(first.token);

    await dispatch.writeResults([resultOf(id, first, 'failed')]);
    expect(await messageStatuses(db.dataSource, id)).toEqual(['sending']);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'processing', failed: 0 });
    const errors = await db.dataSource.query(`SELECT 1 FROM message_errors WHERE batch_id = $1`, [
      id,
    ]);
    expect(errors).toEqual([]);

    await dispatch.writeResults([resultOf(id, second, 'sent')]);
    expect(await batchState(db.dataSource, id)).toMatchObject({
      status: 'completed',
      completed: 1,
      pending: 0,
    });
  });

  it("records the provider of a written result, not of a stale one, nor a call's that reached none", async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const providerOf = async () =>
      (
        await db.dataSource.query<{ provider: string | null }[]>(
          `SELECT provider FROM messages WHERE batch_id = $1`,
          [id],
        )
      )[0].provider;
    expect(await providerOf()).toBeNull();

    const [stale] = await dispatch.claim(id, 0, 1, 1);
    await db.dataSource.query(
      `UPDATE messages SET claimed_until = now() - interval '1 second' WHERE batch_id = $1`,
      [id],
    );
    const [retried] = await dispatch.claim(id, 0, 1, 1);
    await dispatch.writeResults([{ ...resultOf(id, stale, 'sent'), provider: 'twilio' }]);
    expect(await providerOf()).toBeNull();

    await dispatch.writeResults([{ ...resultOf(id, retried, 'retry'), provider: 'smpp' }]);
    expect(await providerOf()).toBe('smpp');

    // The adapter refused it itself: nothing reached a provider, the last one stays named.
    const [refusedHere] = await dispatch.claim(id, 0, 1, 1);
    await dispatch.writeResults([{ ...resultOf(id, refusedHere, 'retry'), provider: null }]);
    expect(await providerOf()).toBe('smpp');

    const [sent] = await dispatch.claim(id, 0, 1, 1);
    await dispatch.writeResults([{ ...resultOf(id, sent, 'sent'), provider: 'twilio' }]);
    expect(await providerOf()).toBe('twilio');
    expect(await messageStatuses(db.dataSource, id)).toEqual(['sent']);
  });

  it('says which provider message ids messages already hold (a lookup must not adopt them)', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 2 });
    const [first] = await dispatch.claim(id, 0, 1, 1);
    await dispatch.writeResults([{ ...resultOf(id, first, 'sent'), providerMessageId: 'SMheld' }]);
    const other = { batchId: id, seq: 1 };
    expect(await dispatch.takenProviderMessageIds(['SMheld', 'SMfree'], other)).toEqual(
      new Set(['SMheld']),
    );
    // Its own result is not another message's.
    const itself = { batchId: id, seq: first.seq };
    expect(await dispatch.takenProviderMessageIds(['SMheld'], itself)).toEqual(new Set());
    expect(await dispatch.takenProviderMessageIds([], other)).toEqual(new Set());
  });

  it('adopts a provider message id for one message only, even when two ask at once', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 4 });
    const messages = [0, 1, 2, 3].map((seq) => ({ batchId: id, seq }));
    // Four lookups found the same SMS at the same moment: one wins.
    const answers = await Promise.all(messages.map((m) => dispatch.adopt('SMraced', m)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    const winner = messages[answers.indexOf(true)];
    const loser = messages.find((m) => m !== winner)!;
    // The winner may ask again (its result was lost); the others never get it.
    expect(await dispatch.adopt('SMraced', winner)).toBe(true);
    expect(await dispatch.adopt('SMraced', loser)).toBe(false);
    // A reservation not yet written is another message's for a later lookup.
    expect(await dispatch.takenProviderMessageIds(['SMraced'], loser)).toEqual(
      new Set(['SMraced']),
    );
    expect(await dispatch.takenProviderMessageIds(['SMraced'], winner)).toEqual(new Set());
    // An id a written result holds is never adopted by another message.
    const [first] = await dispatch.claim(id, 0, 1, 1);
    await dispatch.writeResults([{ ...resultOf(id, first, 'sent'), providerMessageId: 'SMsent' }]);
    expect(await dispatch.adopt('SMsent', { batchId: id, seq: 1 })).toBe(false);
  });

  describe('a long message sent part by part', () => {
    /** Parts of message `seq` of batch `id`, each by its own provider message id. */
    const partsOf = (id: string, seq: number, accepted: number[]) => ({
      reference: 9,
      total: 3,
      accepted: accepted.map((part) => ({ part, providerMessageId: `${id}-${seq}-p${part}` })),
    });
    const storedParts = (id: string) =>
      db.dataSource.query<{ id: string; part: number; provider: string }[]>(
        `SELECT provider_message_id AS id, part, provider FROM message_parts
         WHERE batch_id = $1 ORDER BY seq, part`,
        [id],
      );

    it('a refusal keeps the parts sent before it, the next claim resends only the others, the acceptance completes them', async () => {
      const id = await insertBatch(db.dataSource, { accountId, messages: 2 });
      const [first, plain] = (await dispatch.claim(id, 0, 2, 2)).sort((a, b) => a.seq - b.seq);
      expect(first.parts).toBeNull();

      // Parts 1 and 2 went, part 3 was throttled: the message is retried.
      await dispatch.writeResults([
        { ...resultOf(id, first, 'retry'), parts: partsOf(id, 0, [1, 2]) },
      ]);
      expect(await storedParts(id)).toEqual([
        { id: `${id}-0-p1`, part: 1, provider: 'simulated' },
        { id: `${id}-0-p2`, part: 2, provider: 'simulated' },
      ]);
      const [again] = await dispatch.claim(id, 0, 1, 1);
      expect(again.parts).toEqual(partsOf(id, 0, [1, 2]));

      // The acceptance answers every part; its id is part 1's.
      await dispatch.writeResults([
        {
          ...resultOf(id, again, 'sent'),
          providerMessageId: `${id}-0-p1`,
          parts: partsOf(id, 0, [1, 2, 3]),
        },
        resultOf(id, plain, 'sent'),
      ]);
      expect((await storedParts(id)).map((p) => p.part)).toEqual([1, 2, 3]);
      const [message] = await db.dataSource.query<{ id: string; status: string }[]>(
        `SELECT provider_message_id AS id, status FROM messages WHERE batch_id = $1 AND seq = 0`,
        [id],
      );
      expect(message).toEqual({ id: `${id}-0-p1`, status: 'sent' });
      expect(await batchState(db.dataSource, id)).toMatchObject({
        status: 'completed',
        completed: 2,
      });
      // Another message's lookup must not take a part for its own.
      expect(
        await dispatch.takenProviderMessageIds([`${id}-0-p3`], { batchId: id, seq: 1 }),
      ).toEqual(new Set([`${id}-0-p3`]));
      expect(await dispatch.adopt(`${id}-0-p2`, { batchId: id, seq: 1 })).toBe(false);
    });

    it('stores a part whose id the SMSC gave an earlier part too, so its retry does not send it again', async () => {
      const id = await insertBatch(db.dataSource, { accountId, messages: 2 });
      const [older, newer] = (await dispatch.claim(id, 0, 2, 2)).sort((a, b) => a.seq - b.seq);
      const reused = { reference: 4, total: 2, accepted: [{ part: 1, providerMessageId: 'a1' }] };
      // Both messages' first parts got id a1 (a counter that wrapped); the second parts failed.
      await dispatch.writeResults([
        { ...resultOf(id, older, 'retry'), parts: reused },
        { ...resultOf(id, newer, 'retry'), parts: { ...reused, reference: 5 } },
      ]);
      const again = (await dispatch.claim(id, 0, 2, 2)).sort((a, b) => a.seq - b.seq);
      expect(again.map((m) => m.parts)).toEqual([reused, { ...reused, reference: 5 }]);
    });

    it('stores a part another provider took too: the next call there does not send it again', async () => {
      const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
      const other = newDispatchRepository(db.dataSource, {}, { provider: 'smpp' });
      const [first] = await dispatch.claim(id, 0, 1, 1);
      const firstParts = {
        reference: 4,
        total: 2,
        accepted: [{ part: 1, providerMessageId: 'a1' }],
      };
      await dispatch.writeResults([{ ...resultOf(id, first, 'retry'), parts: firstParts }]);
      // The message moved to another provider (issue 16's failover), which took part 1 as well.
      const [moved] = await other.claim(id, 0, 1, 1);
      expect(moved.parts).toBeNull();
      const movedParts = {
        reference: 9,
        total: 2,
        accepted: [{ part: 1, providerMessageId: 'b1' }],
      };
      await other.writeResults([{ ...resultOf(id, moved, 'retry'), parts: movedParts }]);

      expect((await other.claim(id, 0, 1, 1))[0].parts).toEqual(movedParts);
    });

    it('a stale result stores none of its parts', async () => {
      const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
      const [claim] = await dispatch.claim(id, 0, 1, 1);
      await dispatch.writeResults([
        {
          ...resultOf(id, { ...claim, token: claim.token + 1 }, 'retry'),
          parts: partsOf(id, 0, [1]),
        },
      ]);
      expect(await storedParts(id)).toEqual([]);
    });
  });

  it('a claim says which messages it took over from a worker whose lease ran out', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [
        { status: 'sending', claimedForS: -1, claimToken: 1, attempts: 1 },
        {},
        { status: 'sending', claimedForS: 60, claimToken: 1 },
      ],
    });
    const claimed = await dispatch.claim(id, 0, 3, 3);
    expect(
      claimed
        .map(({ seq, token, attempts, reclaimed }) => ({ seq, token, attempts, reclaimed }))
        .sort((a, b) => a.seq - b.seq),
    ).toEqual([
      { seq: 0, token: 2, attempts: 1, reclaimed: true },
      { seq: 1, token: 1, attempts: 0, reclaimed: false },
    ]);
  });

  it('releases the claims of a cancelled batch as cancelled messages, with the counters', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 4 });
    const claimed = await dispatch.claim(id, 0, 4, 3);
    await db.dataSource.transaction(async (manager) => {
      await dispatch.cancelPending(manager, id);
      await batches.cancel(manager, id);
    });

    expect(await dispatch.release(id, claimed)).toEqual({ cancelled: 3 });
    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ status: 'cancelled', pending: 0, cancelled: 4 });
    expect(state.counted).toEqual({ pending: 0, completed: 0, failed: 0, cancelled: 4 });
  });

  it('releases the claims of a processing batch as pending messages', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 2 });
    const claimed = await dispatch.claim(id, 0, 2, 2);
    expect(await dispatch.release(id, claimed)).toEqual({ cancelled: 0 });
    expect(await messageStatuses(db.dataSource, id)).toEqual(['pending', 'pending']);
  });

  it('expires what a batch past its validity has left, in chunks, and finishes it', async () => {
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ status: 'sent' }, ...Array.from({ length: 7 }, () => ({}))],
    });
    const outcome = await dispatch.expire(id, ['simulated'], 3);

    expect(outcome).toMatchObject({ expired: 7, appeared: ['timeout'] });
    expect(outcome.finished).toMatchObject({ id, status: 'completed' });
    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ pending: 0, completed: 1, failed: 7 });
    expect(state.counted).toMatchObject({ pending: 0, completed: 1, failed: 7 });
    const [summary] = await db.dataSource.query<{ count: string; messages: string }[]>(
      `SELECT count, messages FROM batch_error_categories WHERE batch_id = $1`,
      [id],
    );
    expect(summary).toEqual({ count: '7', messages: '7' });
  });

  it.each([
    ['completed', [{ status: 'sent' }, { status: 'failed' }], 'processing', null],
    ['failed', [{ status: 'failed' }, { status: 'failed' }], 'processing', 'Every message failed.'],
    ['completed', [{ status: 'sent' }], 'paused', null],
  ] as const)(
    'finish: a batch with nothing pending is %s (%j, from %s)',
    async (expected, messages, status, failureReason) => {
      const id = await insertBatch(db.dataSource, { accountId, status, messages: [...messages] });
      const finished = await db.dataSource.transaction((m) => batches.finish(m, [id]));
      expect(finished).toEqual([id]);
      expect(await batchState(db.dataSource, id)).toMatchObject({
        status: expected,
        failureReason,
        pauseReason: null,
      });
    },
  );

  it.each([
    ['something is pending', 'processing', [{ status: 'sent' }, {}]],
    ['it was cancelled', 'cancelled', [{ status: 'cancelled' }]],
  ] as const)('finish leaves a batch alone when %s', async (_, status, messages) => {
    const id = await insertBatch(db.dataSource, { accountId, status, messages: [...messages] });
    expect(await db.dataSource.transaction((m) => batches.finish(m, [id]))).toEqual([]);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status });
  });

  it('two concurrent claims never take the same message', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 100 });
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => dispatch.claim(id, 0, 100, 20)),
    );
    const seqs = claims.flat().map((c) => c.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    const statuses = await messageStatuses(db.dataSource, id);
    expect(seqs.length).toBe(statuses.filter((status) => status === 'sending').length);
    expect(new Set(claims.flat().map((c) => c.token))).toEqual(new Set([1]));
  });

  it('counters add up after concurrent writers', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 120 });
    const answers = ['sent', 'failed', 'retry'] as const;
    const workers = await Promise.all(
      Array.from({ length: 4 }, () => dispatch.claim(id, 0, 120, 30)),
    );
    await Promise.all(
      workers.map((claimed, w) =>
        dispatch.writeResults(
          claimed.map((c, i) =>
            // The last worker's provider refuses our credentials: the batch fails midway.
            resultOf(id, c, answers[i % 3], w === 3 && i === 0 ? 'Credentials refused.' : null),
          ),
        ),
      ),
    );
    const state = await batchState(db.dataSource, id);
    expect(state.status).toBe('failed');
    expect(state.pending + state.completed + state.failed + state.cancelled).toBe(120);
    expect(state.counted).toEqual({
      pending: state.pending,
      completed: state.completed,
      failed: state.failed,
      cancelled: state.cancelled,
    });
    expect(state.counted.pending).toBe(0);
  });

  describe('requeueFailed (retry-failed)', () => {
    const failed = (code: string, category: 'unknown' | 'invalid_number' = 'unknown') => ({
      status: 'failed' as const,
      attempts: 1,
      lastError: { category, code, message: 'no' },
    });
    const requeue = (id: string, selection: ReturnType<typeof retrySelection>) =>
      db.dataSource.transaction((manager) => dispatch.requeueFailed(manager, id, selection));

    it('by default requeues retryable failures but never an unknown outcome', async () => {
      const id = await insertBatch(db.dataSource, {
        accountId,
        status: 'completed',
        messages: [failed('E42'), failed(OUTCOME_UNKNOWN), failed('21211', 'invalid_number')],
      });
      expect(await requeue(id, retrySelection())).toHaveLength(1);
      expect(await messageStatuses(db.dataSource, id)).toEqual(['pending', 'failed', 'failed']);
    });

    it('requeues unknown outcomes too when the user names their category', async () => {
      const id = await insertBatch(db.dataSource, {
        accountId,
        status: 'completed',
        messages: [failed('E42'), failed(OUTCOME_UNKNOWN)],
      });
      expect(await requeue(id, retrySelection(['unknown']))).toHaveLength(2);
      expect(await messageStatuses(db.dataSource, id)).toEqual(['pending', 'pending']);
    });
  });
});

// What dispatch does with each kind of answer, on the real PostgreSQL with a scripted provider.
import type { SendResult } from '../../src/sms/sms-provider';
import { queryRows } from '../../src/database/query-rows';
import {
  batchState,
  insertAccount,
  insertBatch,
  messagesOf,
  type MessageRow,
} from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { retryConfig } from '../../src/config/configuration';
import { accepted, FakeProvider, newTestDispatch, rejected } from './support/test-dispatch';

const A = '+12015550100';
const B = '+12015550101';
const C = '+12015550102';

describe('DispatchService', () => {
  let db: MigratedDatabase;
  let accountId: string;
  /** A processing batch of these messages; answers its id. */
  const processingBatch = (messages: MessageRow[]) =>
    insertBatch(db.dataSource, { accountId, messages });

  beforeAll(async () => {
    db = await createMigratedDatabase();
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  it('accepted: the message is sent with the provider id, and the batch completes', async () => {
    const dispatch = newTestDispatch(db, {
      provider: new FakeProvider().answer(A, accepted('P-42')),
    });
    const id = await processingBatch([{ phoneNumber: A }]);
    await dispatch.run(id);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      {
        status: 'sent',
        attempts: 1,
        providerMessageId: 'P-42',
        provider: 'simulated',
        lastError: null,
      },
    ]);
    expect(await batchState(db.dataSource, id)).toMatchObject({
      status: 'completed',
      completed: 1,
    });
  });

  it.each([
    ['invalid_number', 'X_INVALID'],
    ['opted_out', 'X_STOPPED'],
    ['content_rejected', 'X_FILTERED'],
  ] as const)(
    '%s: failed at once with its lastError, never tried again',
    async (category, code) => {
      const provider = new FakeProvider().answer(A, rejected(category, code));
      const dispatch = newTestDispatch(db, { provider });
      const id = await processingBatch([{ phoneNumber: A }]);
      await dispatch.run(id);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        {
          status: 'failed',
          attempts: 1,
          nextAttemptAt: null,
          // The provider answered: the log names it.
          provider: 'simulated',
          lastError: { category, code, message: `The fake provider says ${code}.` },
        },
      ]);
      expect(provider.sent).toHaveLength(1);
      expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'failed', failed: 1 });
      // A provider's opt-out suppresses the number for every account (src/consent/), lifted here
      // as START would, so the next tests may send to it.
      const lifted = await queryRows(
        db.dataSource.manager,
        `DELETE FROM suppressions WHERE phone_number = $1 AND reason = 'provider_opt_out' RETURNING id`,
        [A],
      );
      expect(lifted).toHaveLength(category === 'opted_out' ? 1 : 0);
    },
  );

  it('rate_limited: pending again after at least Retry-After, no attempt counted, the limiter told', async () => {
    const provider = new FakeProvider().answer(A, rejected('rate_limited', 'X_429', 5_000));
    const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 10 } });
    const id = await processingBatch([{ phoneNumber: A }]);
    const before = Date.now();
    await dispatch.run(id);
    const [message] = await messagesOf(db.dataSource, id);
    expect(message).toMatchObject({ status: 'pending', attempts: 0 });
    expect(message.lastError).toMatchObject({ category: 'rate_limited', code: 'X_429' });
    expect(message.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 5_000);
    expect(message.nextAttemptAt!.getTime()).toBeLessThan(Date.now() + 5_000 + 10);
    expect(dispatch.limiter.throttles).toEqual([5_000]);
  });

  it("rate_limited by the adapter's own bound (local): retried, but the limiter is not told", async () => {
    const busy: SendResult = {
      accepted: false,
      category: 'rate_limited',
      code: 'X_BUSY',
      message: 'All places busy.',
      local: true,
    };
    const provider = new FakeProvider().answer(A, busy);
    const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 10 } });
    const id = await processingBatch([{ phoneNumber: A }]);
    await dispatch.run(id);
    const [message] = await messagesOf(db.dataSource, id);
    // Nothing reached a provider: the log names none.
    expect(message).toMatchObject({ status: 'pending', attempts: 0, provider: null });
    expect(message.lastError).toMatchObject({ category: 'rate_limited', code: 'X_BUSY' });
    expect(dispatch.limiter.throttles).toEqual([]);
  });

  it.each([
    ['provider_error', rejected('provider_error', 'X_503')],
    ['timeout', 'hang' as const],
  ])('%s: retried with backoff, an attempt counted', async (category, answer) => {
    const provider = new FakeProvider().answer(A, answer);
    const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 60_000 } });
    const id = await processingBatch([{ phoneNumber: A }]);
    const before = Date.now();
    await dispatch.run(id);
    const [message] = await messagesOf(db.dataSource, id);
    expect(message).toMatchObject({ status: 'pending', attempts: 1, lastError: { category } });
    // The first retry waits a random share of RETRY_BASE_DELAY_MS (full jitter).
    expect(message.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(message.nextAttemptAt!.getTime()).toBeLessThan(Date.now() + 60_000);
    expect(provider.resolved).toEqual([]);
  });

  it('a long message refused after two of its parts: the retry sends only the third, with the others', async () => {
    const parts = (accepted: number[]) => ({
      reference: 42,
      total: 3,
      accepted: accepted.map((part) => ({ part, providerMessageId: `P-${part}` })),
    });
    const provider = new FakeProvider()
      .answer(A, { ...rejected('provider_error', 'X_PART3'), parts: parts([1, 2]) })
      .answer(A, { ...accepted('P-1'), parts: parts([1, 2, 3]) });
    const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 1 } });
    const id = await processingBatch([{ phoneNumber: A }]);
    await dispatch.run(id);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'pending' }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await dispatch.run(id);

    expect(provider.sent.map((request) => request.parts)).toEqual([undefined, parts([1, 2])]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'sent', providerMessageId: 'P-1' },
    ]);
    const stored = await db.dataSource.query<{ part: number }[]>(
      `SELECT part FROM message_parts WHERE batch_id = $1 ORDER BY part`,
      [id],
    );
    expect(stored.map((row) => row.part)).toEqual([1, 2, 3]);
  });

  it.each([
    ['provider_error', rejected('provider_error', 'X_503')],
    ['timeout', 'hang' as const],
  ])('%s: fails on the last allowed attempt', async (category, answer) => {
    const provider = new FakeProvider().answer(A, answer);
    const dispatch = newTestDispatch(db, { provider, retry: { maxAttempts: 3 } });
    const id = await processingBatch([{ phoneNumber: A, attempts: 2 }]);
    await dispatch.run(id);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'failed', attempts: 3, nextAttemptAt: null, lastError: { category } },
    ]);
  });

  it('a job of an older generation (retry-failed on a processing batch) stops before its next call', async () => {
    // Each claimed message waits for its permit's time; meanwhile the batch is queued afresh,
    // with a new validity clock its new jobs use: the old job must not call with its old one.
    const dispatch = newTestDispatch(db, { permitDelayMs: 600 });
    const id = await processingBatch([{ phoneNumber: A }, { phoneNumber: B }]);
    const running = dispatch.run(id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await db.dataSource.query(
      `UPDATE batches SET generation = generation + 1, valid_from = now() WHERE id = $1`,
      [id],
    );
    await running;
    expect(dispatch.provider.sent).toEqual([]);
    // Given back for the new generation's jobs, nothing counted.
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', attempts: 0 },
      { status: 'pending', attempts: 0 },
    ]);
    expect(dispatch.producer.calls).toEqual([]);
  });

  it("a provider's refusal with a NUL or a lone surrogate in its text is written (PostgreSQL's text holds neither)", async () => {
    const refusal = {
      ...rejected('invalid_number', 'X_\u0000NUL'),
      message: 'bad\u0000number\ud800',
    };
    const dispatch = newTestDispatch(db, { provider: new FakeProvider().answer(A, refusal) });
    const id = await processingBatch([{ phoneNumber: A }]);
    await dispatch.run(id);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      {
        status: 'failed',
        lastError: { category: 'invalid_number', code: 'X_?NUL', message: 'bad?number?' },
      },
    ]);
  });

  it('unknown: retried once, failed on its second attempt', async () => {
    const provider = new FakeProvider()
      .answer(A, rejected('unknown', 'X_HUH'))
      .answer(B, rejected('unknown', 'X_HUH'));
    const dispatch = newTestDispatch(db, { provider });
    const id = await processingBatch([{ phoneNumber: A }, { phoneNumber: B, attempts: 1 }]);
    await dispatch.run(id);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', attempts: 1, lastError: { category: 'unknown' } },
      { status: 'failed', attempts: 2, lastError: { category: 'unknown' } },
    ]);
  });

  it('auth: the batch fails with the code in its reason, and what was not sent is cancelled', async () => {
    const provider = new FakeProvider().answer(A, rejected('auth', 'X_401'));
    const dispatch = newTestDispatch(db, { provider });
    // B waits for a retry, so it is still pending when A's answer fails the batch.
    const id = await processingBatch([
      { phoneNumber: A },
      { phoneNumber: B, nextAttemptInS: 3600 },
    ]);
    await dispatch.run(id);
    expect((await messagesOf(db.dataSource, id)).map((m) => m.status)).toEqual([
      'failed',
      'cancelled',
    ]);
    const row = await batchState(db.dataSource, id);
    expect(row).toMatchObject({ status: 'failed', failed: 1, cancelled: 1, pending: 0 });
    expect(row.failureReason).toContain('X_401');
  });

  describe('an outcome Salvo does not know', () => {
    it('idempotent provider: a timeout is retried with the same key, never resolved', async () => {
      const provider = new FakeProvider(true).answer(A, 'hang');
      const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 1 } });
      const id = await processingBatch([{ phoneNumber: A }]);
      await dispatch.run(id);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        { status: 'pending', lastError: { category: 'timeout', code: 'TIMEOUT' } },
      ]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await dispatch.run(id);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'sent', attempts: 2 }]);
      expect(provider.sent.map((r) => r.idempotencyKey)).toEqual([
        provider.sent[0].idempotencyKey,
        provider.sent[0].idempotencyKey,
      ]);
      expect(provider.resolved).toEqual([]);
    });

    it('idempotent provider: an expired sending claim is sent again', async () => {
      const provider = new FakeProvider(true);
      const dispatch = newTestDispatch(db, { provider });
      const id = await processingBatch([{ phoneNumber: A, status: 'sending', claimedForS: -1 }]);
      await dispatch.run(id);
      expect(provider.sent).toHaveLength(1);
      expect(provider.resolved).toEqual([]);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'sent' }]);
    });

    it('other providers: a timeout goes to resolve, whose answer is written', async () => {
      const provider = new FakeProvider(false)
        .answer(A, 'hang')
        .resolveAs(A, accepted('P-FOUND'))
        .answer(B, 'hang')
        .resolveAs(B, rejected('invalid_number', 'X_INVALID'));
      const dispatch = newTestDispatch(db, { provider });
      const id = await processingBatch([{ phoneNumber: A }, { phoneNumber: B }]);
      await dispatch.run(id);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        { status: 'sent', providerMessageId: 'P-FOUND', attempts: 1 },
        { status: 'failed', lastError: { category: 'invalid_number' } },
      ]);
      expect(provider.sent).toHaveLength(2);
      expect(provider.resolved).toHaveLength(2);
    });

    it('other providers: an unresolved timeout is OUTCOME_UNKNOWN, final, never sent again', async () => {
      const provider = new FakeProvider(false)
        .answer(A, 'hang')
        .resolveAs(A, 'hang')
        .answer(B, 'hang')
        .resolveAs(B, rejected('unknown', 'OUTCOME_UNKNOWN'));
      const dispatch = newTestDispatch(db, { provider, retry: { baseDelayMs: 1 } });
      const id = await processingBatch([{ phoneNumber: A }, { phoneNumber: B }]);
      await dispatch.run(id);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        {
          status: 'failed',
          attempts: 1,
          nextAttemptAt: null,
          lastError: { category: 'unknown', code: 'OUTCOME_UNKNOWN' },
        },
        { status: 'failed', lastError: { category: 'unknown', code: 'OUTCOME_UNKNOWN' } },
      ]);
      await dispatch.run(id);
      expect(provider.sent).toHaveLength(2);
      expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'failed', failed: 2 });
    });

    it('other providers: a re-claim its batch paused before the call stays in doubt, and is resolved later', async () => {
      const provider = new FakeProvider(false).resolveAs(A, accepted('P-FOUND'));
      const dispatch = newTestDispatch(db, { provider, permitDelayMs: 400 });
      const id = await processingBatch([{ phoneNumber: A, status: 'sending', claimedForS: -1 }]);
      const run = dispatch.run(id);
      // The claim is taken at once; the call waits for its permit, and meanwhile a user pauses.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await db.dataSource.query(`UPDATE batches SET status = 'paused' WHERE id = $1`, [id]);
      await run;
      expect([provider.sent, provider.resolved]).toEqual([[], []]);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'sending' }]);

      await db.dataSource.query(`UPDATE batches SET status = 'processing' WHERE id = $1`, [id]);
      await newTestDispatch(db, { provider }).run(id);
      expect(provider.sent).toEqual([]);
      expect(provider.resolved.map((r) => r.to)).toEqual([A]);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        { status: 'sent', providerMessageId: 'P-FOUND' },
      ]);
    });

    it('other providers: a resolution learns where the calls began, the validity, and the ids others hold', async () => {
      const held = new FakeProvider().answer(A, accepted('P-HELD'));
      await newTestDispatch(db, { provider: held }).run(
        await processingBatch([{ phoneNumber: A }]),
      );
      const provider = new FakeProvider(false).resolveAs(B, accepted('P-FREE'));
      const id = await processingBatch([{ phoneNumber: B, status: 'sending', claimedForS: -1 }]);
      await newTestDispatch(db, { provider }).run(id);
      const [{ startedAt }] = await db.dataSource.query<{ startedAt: Date }[]>(
        `SELECT started_at AS "startedAt" FROM batches WHERE id = $1`,
        [id],
      );
      expect(provider.resolved[0].since).toEqual(startedAt);
      expect(provider.resolved[0].validUntil.getTime()).toBe(
        startedAt.getTime() + retryConfig().validityMs,
      );
      expect(await provider.contexts[0].taken(['P-HELD', 'P-OTHER'])).toEqual(new Set(['P-HELD']));
    });

    it('other providers: a reopened batch still looks up from its first start, and adopts for its message', async () => {
      const provider = new FakeProvider(false).resolveAs(A, accepted('P-FOUND'));
      const id = await processingBatch([{ phoneNumber: A, status: 'sending', claimedForS: -1 }]);
      // Retry-failed restarts the validity clock (valid_from = now()) an hour after the start:
      // calls made during that hour must still be found.
      await db.dataSource.query(
        `UPDATE batches SET started_at = now() - interval '1 hour', valid_from = now() WHERE id = $1`,
        [id],
      );
      await newTestDispatch(db, { provider }).run(id);
      const [batch] = await db.dataSource.query<{ startedAt: Date; validFrom: Date }[]>(
        `SELECT started_at AS "startedAt", valid_from AS "validFrom" FROM batches WHERE id = $1`,
        [id],
      );
      expect(provider.resolved[0].since).toEqual(batch.startedAt);
      expect(provider.resolved[0].validUntil.getTime()).toBe(
        batch.validFrom.getTime() + retryConfig().validityMs,
      );
      // The adoption is reserved for this message: no other message gets the same SMS.
      await expect(provider.contexts[0].adopt('P-RACED')).resolves.toBe(true);
      await expect(provider.contexts[0].adopt('P-RACED')).resolves.toBe(true);
      const [{ count }] = await db.dataSource.query<{ count: string }[]>(
        `SELECT count(*) FROM adopted_provider_messages WHERE batch_id = $1`,
        [id],
      );
      expect(count).toBe('1');
    });

    it('other providers: a resolution stopped by a database error is resolved again by the next claim, not failed', async () => {
      const provider = new FakeProvider(false);
      let failing = true;
      provider.resolve = async (request, context) => {
        provider.resolved.push(request);
        // PostgreSQL refuses a NUL in text: an error of the database, as a dropped connection.
        if (failing) await context.adopt('SM\u0000');
        return accepted('P-FOUND');
      };
      const id = await processingBatch([{ phoneNumber: A, status: 'sending', claimedForS: -1 }]);
      await newTestDispatch(db, { provider }).run(id);
      expect(provider.resolved).toHaveLength(1);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        { status: 'sending', lastError: null },
      ]);

      failing = false;
      await newTestDispatch(db, { provider }).run(id);
      expect(provider.sent).toEqual([]);
      expect(provider.resolved).toHaveLength(2);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        { status: 'sent', providerMessageId: 'P-FOUND' },
      ]);
    });

    it('other providers: an expired sending claim is resolved, not sent', async () => {
      const provider = new FakeProvider(false)
        .resolveAs(A, accepted('P-FOUND'))
        .resolveAs(B, rejected('unknown', 'OUTCOME_UNKNOWN'));
      const dispatch = newTestDispatch(db, { provider });
      const id = await processingBatch([
        { phoneNumber: A, status: 'sending', claimedForS: -1 },
        { phoneNumber: B, status: 'sending', claimedForS: -1 },
        { phoneNumber: C },
      ]);
      await dispatch.run(id);
      expect(provider.sent.map((r) => r.to)).toEqual([C]);
      expect(provider.resolved.map((r) => r.to)).toEqual([A, B]);
      expect(await messagesOf(db.dataSource, id)).toMatchObject([
        { status: 'sent', providerMessageId: 'P-FOUND' },
        { status: 'failed', lastError: { category: 'unknown', code: 'OUTCOME_UNKNOWN' } },
        { status: 'sent' },
      ]);
    });
  });
});

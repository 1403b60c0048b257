// Consent on the real PostgreSQL: contacts and provider opt-outs written with send results,
// inbound messages attributed to the account that last sent to the number, their keywords acting on
// the deployment-wide suppressions, and the answer to HELP sent once.
import type { DispatchRepository } from '../../src/batch/dispatch/dispatch.repository';
import {
  consentConfig,
  ingestConfig,
  smsConfig,
  type ConsentConfig,
} from '../../src/config/configuration';
import { ConsentRepository } from '../../src/consent/consent.repository';
import type { HelpReplyProducer } from '../../src/consent/help-reply.producer';
import { HelpReplyService, REPLY_IN_FLIGHT } from '../../src/consent/help-reply.service';
import { InboundConsentService } from '../../src/consent/inbound-consent.service';
import { InboundRepository } from '../../src/inbound/inbound.repository';
import type { InboundSms } from '../../src/sms/receipts';
import { SmsProviders } from '../../src/sms/sms.module';
import { insertAccount, insertBatch } from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository, resultOf } from './support/services';
import { accepted, FakeProvider, rejected } from './support/test-dispatch';

const SERVICE = `MG${'0'.repeat(32)}`;
const OUR_NUMBER = '+15005550006';

describe('Consent', () => {
  let db: MigratedDatabase;
  let dispatch: DispatchRepository;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    dispatch = newDispatchRepository(db.dataSource);
  });
  afterAll(() => db?.drop());

  const contacts = (phoneNumber: string) =>
    db.dataSource.query<
      { accountId: string; provider: string; sender: string; lastSentAt: Date }[]
    >(
      `SELECT account_id AS "accountId", provider, sender, last_sent_at AS "lastSentAt"
       FROM contacts WHERE phone_number = $1 ORDER BY account_id`,
      [phoneNumber],
    );
  const suppressions = (phoneNumber: string) =>
    db.dataSource.query<
      { id: string; accountId: string | null; scope: string; reason: string; source: string }[]
    >(
      `SELECT id, account_id AS "accountId", scope, reason, source FROM suppressions
       WHERE phone_number = $1 ORDER BY reason`,
      [phoneNumber],
    );

  /** A processing batch of `account` to these numbers, claimed whole. */
  async function claimedBatch(accountId: string, numbers: string[]) {
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: numbers.map((phoneNumber) => ({ phoneNumber })),
    });
    return { id, claimed: await dispatch.claim(id, 0, numbers.length, numbers.length) };
  }

  describe('contacts, written with send results', () => {
    it('keep the newest send per account and number, even from two batches in one write', async () => {
      const [account, other] = [
        await insertAccount(db.dataSource),
        await insertAccount(db.dataSource),
      ];
      const number = '+12025550301';
      const first = await claimedBatch(account, [number]);
      const second = await claimedBatch(account, [number]);
      const third = await claimedBatch(other, [number]);
      const older = new Date(Date.now() - 5_000);
      const newer = new Date();
      await dispatch.writeResults([
        { ...resultOf(second.id, second.claimed[0], 'sent'), sentAt: newer, provider: 'twilio' },
        { ...resultOf(first.id, first.claimed[0], 'sent'), sentAt: older },
        { ...resultOf(third.id, third.claimed[0], 'sent'), sentAt: older },
      ]);
      expect(await contacts(number)).toEqual(
        [
          { accountId: account, provider: 'twilio', sender: 'twilio', lastSentAt: newer },
          { accountId: other, provider: 'simulated', sender: 'simulated', lastSentAt: older },
        ].sort((a, b) => a.accountId.localeCompare(b.accountId)),
      );

      // A result written late for an older send leaves the newer contact as it is.
      const late = await claimedBatch(account, [number]);
      await dispatch.writeResults([
        { ...resultOf(late.id, late.claimed[0], 'sent'), sentAt: new Date(Date.now() - 60_000) },
      ]);
      expect((await contacts(number)).find((c) => c.accountId === account)).toMatchObject({
        provider: 'twilio',
        lastSentAt: newer,
      });
    });

    it('are not written for failures, retries or stale results', async () => {
      const account = await insertAccount(db.dataSource);
      const numbers = ['+12025550311', '+12025550312', '+12025550313'];
      const { id, claimed } = await claimedBatch(account, numbers);
      await dispatch.writeResults([
        resultOf(id, claimed[0], 'failed'),
        resultOf(id, claimed[1], 'retry'),
        resultOf(id, { ...claimed[2], token: claimed[2].token - 1 }, 'sent'),
      ]);
      for (const number of numbers) expect(await contacts(number)).toEqual([]);
    });

    it('take concurrent writers of one account over shared numbers without a deadlock', async () => {
      const account = await insertAccount(db.dataSource);
      const numbers = Array.from({ length: 40 }, (_, i) => `+1202555${String(1000 + i)}`);
      // Each batch sends to every number, in its own order, so the writers meet in every order.
      const batches = await Promise.all(
        Array.from({ length: 6 }, (_, b) =>
          claimedBatch(account, b % 2 ? [...numbers].reverse() : numbers),
        ),
      );
      await Promise.all(
        batches.map(({ id, claimed }) =>
          dispatch.writeResults(claimed.map((c) => resultOf(id, c, 'sent'))),
        ),
      );
      const [{ count }] = await db.dataSource.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM contacts WHERE account_id = $1`,
        [account],
      );
      expect(count).toBe(numbers.length);
    });
  });

  describe('provider opt-outs, written with send results', () => {
    it("add a deployment-wide entry for the provider's code, once", async () => {
      const account = await insertAccount(db.dataSource);
      const number = '+12025550321';
      const a = await claimedBatch(account, [number]);
      const b = await claimedBatch(account, [number]);
      const optedOut = { category: 'opted_out' as const, code: 'SIM_OPTED_OUT', message: 'no' };
      await dispatch.writeResults([
        { ...resultOf(a.id, a.claimed[0], 'failed'), lastError: optedOut },
        { ...resultOf(b.id, b.claimed[0], 'failed'), lastError: { ...optedOut, code: '21610' } },
      ]);
      const entries = await suppressions(number);
      expect(entries).toEqual([
        {
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7/),
          accountId: null,
          scope: 'deployment',
          reason: 'provider_opt_out',
          source: expect.stringMatching(/^(SIM_OPTED_OUT|21610)$/),
        },
      ]);
      // The number is the account's contact, so its list shows the entry its batch caused.
      expect(await contacts(number)).toEqual([expect.objectContaining({ accountId: account })]);
    });

    it('never take an inbound message from the account that really sent to the number', async () => {
      const [sender, optedOut] = [
        await insertAccount(db.dataSource),
        await insertAccount(db.dataSource),
      ];
      const number = '+12025550341';
      const sent = await claimedBatch(sender, [number]);
      await dispatch.writeResults([resultOf(sent.id, sent.claimed[0], 'sent')]);
      const refused = await claimedBatch(optedOut, [number]);
      await dispatch.writeResults([
        {
          ...resultOf(refused.id, refused.claimed[0], 'failed'),
          lastError: { category: 'opted_out', code: '21610', message: 'no' },
        },
      ]);
      // Both are contacts (each lists the entry); the later opt-out answer reached nobody.
      expect((await contacts(number)).map((c) => c.accountId).sort()).toEqual(
        [sender, optedOut].sort(),
      );
      const [{ provider, sender: from }] = (await contacts(number)).filter(
        (c) => c.accountId === sender,
      );
      const attributed = await new ConsentRepository().attribute(db.dataSource.manager, {
        phoneNumber: number,
        provider,
        sender: from,
      });
      expect(attributed).toBe(sender);
    });

    it("add nothing for Salvo's own SUPPRESSED refusals, other failures or stale results", async () => {
      const account = await insertAccount(db.dataSource);
      const numbers = ['+12025550331', '+12025550332', '+12025550333'];
      const { id, claimed } = await claimedBatch(account, numbers);
      const optedOut = (code: string) => ({ category: 'opted_out' as const, code, message: 'no' });
      await dispatch.writeResults([
        { ...resultOf(id, claimed[0], 'failed'), lastError: optedOut('SUPPRESSED') },
        resultOf(id, claimed[1], 'failed'),
        {
          ...resultOf(id, { ...claimed[2], token: claimed[2].token - 1 }, 'failed'),
          lastError: optedOut('21610'),
        },
      ]);
      for (const number of numbers) expect(await suppressions(number)).toEqual([]);
    });
  });

  describe('inbound messages', () => {
    let queued: string[];
    let sid = 0;
    const sms = (body: string, overrides: Partial<InboundSms> = {}): InboundSms => ({
      provider: 'twilio',
      providerMessageId: `SM${String(++sid).padStart(32, '0')}`,
      from: '+12025550400',
      to: OUR_NUMBER,
      body,
      receivedAt: new Date(),
      ...overrides,
    });
    const newService = (config: Partial<ConsentConfig> = {}, defaultCountry?: 'US') => {
      queued = [];
      const producer = {
        enqueue: (ids: string[]) => {
          queued.push(...ids);
          return Promise.resolve();
        },
      } as unknown as HelpReplyProducer;
      return new InboundConsentService(
        db.dataSource,
        new InboundRepository(db.dataSource),
        new ConsentRepository(),
        producer,
        { ...consentConfig(), helpReplyText: 'Acme: reply STOP to opt out.', ...config },
        { ...ingestConfig(), defaultCountry },
      );
    };
    const stored = (providerMessageId: string) =>
      db.dataSource
        .query<{ id: string; accountId: string | null; action: string; replyStatus: string }[]>(
          `SELECT id, account_id AS "accountId", action, reply_status AS "replyStatus"
           FROM inbound_messages WHERE provider_message_id = $1`,
          [providerMessageId],
        )
        .then((rows) => rows[0]);
    const contact = (
      accountId: string,
      phoneNumber: string,
      provider: string,
      sender: string,
      agoS: number,
    ) =>
      db.dataSource.query(
        `INSERT INTO contacts (account_id, phone_number, provider, sender, last_sent_at)
         VALUES ($1, $2, $3, $4, now() - make_interval(secs => $5))`,
        [accountId, phoneNumber, provider, sender, agoS],
      );

    it('are attributed to the account that last sent to the number from the sender it wrote to', async () => {
      const service = newService();
      const [older, newer, elsewhere] = await Promise.all(
        [1, 2, 3].map(() => insertAccount(db.dataSource)),
      );
      const from = '+12025550401';
      await contact(older, from, 'twilio', OUR_NUMBER, 60);
      await contact(newer, from, 'twilio', OUR_NUMBER, 10);
      // Sent later, but from another sender: not the one the number answers.
      await contact(elsewhere, from, 'twilio', '+15005550007', 1);

      const answer = sms('Who is this?', { from: '+1 202-555-0401' });
      expect(await service.store(answer)).toBe(true);
      expect(await stored(answer.providerMessageId)).toMatchObject({
        accountId: newer,
        action: 'none',
        replyStatus: null,
      });

      // Nobody sent to it from this sender through SMPP: nobody's.
      const smpp = sms('Hello', { provider: 'smpp', from });
      await service.store(smpp);
      expect(await stored(smpp.providerMessageId)).toMatchObject({ accountId: null });
    });

    it("falls back to the provider's Messaging Service contacts, whose sender is no number", async () => {
      const service = newService();
      const account = await insertAccount(db.dataSource);
      const from = '+12025550402';
      await contact(account, from, 'twilio', SERVICE, 5);
      const answer = sms('hi', { from, to: '+15005550123' });
      await service.store(answer);
      expect(await stored(answer.providerMessageId)).toMatchObject({ accountId: account });
    });

    it('STOP suppresses the number for every account, once, with the message as its source', async () => {
      const service = newService();
      const from = '+12025550410';
      const stop = sms('  stop ', { from });
      expect(await service.store(stop)).toBe(true);
      expect(await service.store(stop)).toBe(false);
      const { id, action } = await stored(stop.providerMessageId);
      expect(action).toBe('opt_out');
      expect(await suppressions(from)).toEqual([
        {
          id: expect.any(String),
          accountId: null,
          scope: 'deployment',
          reason: 'stop_reply',
          source: id,
        },
      ]);
      // A second STOP keeps the first entry.
      await service.store(sms('STOPALL', { from }));
      expect((await suppressions(from)).map((s) => s.source)).toEqual([id]);
    });

    it('reads a national sender number by DEFAULT_COUNTRY, so its STOP suppresses it', async () => {
      const national = sms('STOP', { provider: 'smpp', from: '2025550481', to: '12345' });
      await newService({}, 'US').store(national);
      expect(await suppressions('+12025550481')).toEqual([
        expect.objectContaining({ scope: 'deployment', reason: 'stop_reply' }),
      ]);
      // Without a country to read it by, it is stored and nothing is suppressed.
      const unread = sms('STOP', { provider: 'smpp', from: '2025550482', to: '12345' });
      await newService().store(unread);
      expect(await stored(unread.providerMessageId)).toMatchObject({ action: 'opt_out' });
      expect(await suppressions('+12025550482')).toEqual([]);
    });

    it("START lifts the number's STOP and provider opt-out, never an account's own entries", async () => {
      const service = newService();
      const account = await insertAccount(db.dataSource);
      const [a, b] = ['+12025550420', '+12025550421'];
      await service.store(sms('STOP', { from: a }));
      await db.dataSource.query(
        `INSERT INTO suppressions (id, phone_number, account_id, scope, reason, source) VALUES
           (gen_random_uuid(), $1, NULL, 'deployment', 'provider_opt_out', '21610'),
           (gen_random_uuid(), $1, $2, 'account', 'manual', NULL),
           (gen_random_uuid(), $3, $2, 'account', 'import', NULL)`,
        [b, account, a],
      );
      const start = sms('Start', { from: a });
      await service.store(start);
      await service.store(sms('unstop', { from: b }));
      expect((await stored(start.providerMessageId)).action).toBe('opt_in');
      expect((await suppressions(a)).map((s) => s.reason)).toEqual(['import']);
      expect((await suppressions(b)).map((s) => s.reason)).toEqual(['manual']);
    });

    it('HELP queues one answer, however often the message comes; none without HELP_REPLY_TEXT', async () => {
      const service = newService();
      const help = sms('Help');
      await service.store(help);
      await service.store(help);
      const row = await stored(help.providerMessageId);
      expect(row).toMatchObject({ action: 'help', replyStatus: 'queued' });
      expect(queued).toEqual([row.id]);

      const silent = newService({ helpReplyText: null });
      const unanswered = sms('info');
      await silent.store(unanswered);
      expect(await stored(unanswered.providerMessageId)).toMatchObject({
        action: 'help',
        replyStatus: null,
      });
      expect(queued).toEqual([]);
    });

    it('answers HELP once an hour per number and sender, however many distinct messages ask', async () => {
      const service = newService();
      const first = sms('HELP', { from: '+12025550470' });
      const again = sms('help', { from: '+12025550470' });
      const other = sms('HELP', { from: '+12025550471' });
      await Promise.all([service.store(first), service.store(again)]);
      await service.store(other);
      const rows = await Promise.all([first, again, other].map((m) => stored(m.providerMessageId)));
      expect(rows.map((row) => row.action)).toEqual(['help', 'help', 'help']);
      expect(rows.filter((row) => row.replyStatus === 'queued')).toHaveLength(2);
      expect(rows[2].replyStatus).toBe('queued');
      expect(queued).toHaveLength(2);
    });

    describe('the answer to HELP', () => {
      const newReplies = (provider: FakeProvider) =>
        new HelpReplyService(
          db.dataSource,
          new SmsProviders(new Map([['twilio', provider]])),
          { enqueue: () => Promise.resolve() } as unknown as HelpReplyProducer,
          { ...consentConfig(), helpReplyText: 'Acme: reply STOP to opt out.' },
          smsConfig(),
        );
      const reply = (id: string) =>
        db.dataSource
          .query<{ status: string; providerMessageId: string | null; error: string | null }[]>(
            `SELECT reply_status AS status, reply_provider_message_id AS "providerMessageId",
                    reply_error AS error
             FROM inbound_messages WHERE id = $1`,
            [id],
          )
          .then((rows) => rows[0]);
      async function helpFrom(from: string) {
        const message = sms('HELP', { from, to: '+15005550199' });
        await newService().store(message);
        return (await stored(message.providerMessageId)).id;
      }

      it('is sent once, to the number and from the sender it wrote to, and recorded', async () => {
        const provider = new FakeProvider(false).answer('+12025550430', accepted('SMreply'));
        const replies = newReplies(provider);
        const id = await helpFrom('+12025550430');
        const outcomes = await Promise.all([replies.send(id), replies.send(id)]);
        expect(outcomes.filter(Boolean)).toHaveLength(1);
        expect(await replies.send(id)).toBeNull();
        expect(provider.sent).toEqual([
          expect.objectContaining({
            to: '+12025550430',
            from: '+15005550199',
            body: 'Acme: reply STOP to opt out.',
          }),
        ]);
        expect(await reply(id)).toEqual({
          status: 'sent',
          providerMessageId: 'SMreply',
          error: null,
        });
      });

      it("records a provider's refusal", async () => {
        const provider = new FakeProvider(false).answer(
          '+12025550431',
          rejected('invalid_number', '21211'),
        );
        const id = await helpFrom('+12025550431');
        await newReplies(provider).send(id);
        expect(await reply(id)).toEqual({
          status: 'failed',
          providerMessageId: null,
          error: '21211: The fake provider says 21211.',
        });
      });

      it('is never sent again after a worker died during its call: it stays reported', async () => {
        const provider = new FakeProvider(false);
        const id = await helpFrom('+12025550432');
        // What a worker that died between its call and its record leaves.
        await db.dataSource.query(
          `UPDATE inbound_messages SET reply_status = 'failed', reply_error = $2 WHERE id = $1`,
          [id, REPLY_IN_FLIGHT],
        );
        expect(await newReplies(provider).send(id)).toBeNull();
        expect(provider.sent).toEqual([]);
        expect(await reply(id)).toMatchObject({ status: 'failed', error: REPLY_IN_FLIGHT });
      });

      it('queues again the replies whose job was never added', async () => {
        const id = await helpFrom('+12025550433');
        await db.dataSource.query(
          `UPDATE inbound_messages SET received_at = now() - interval '5 minutes' WHERE id = $1`,
          [id],
        );
        const requeued: string[] = [];
        const replies = new HelpReplyService(
          db.dataSource,
          new SmsProviders(new Map()),
          {
            enqueue: (ids: string[]) => {
              requeued.push(...ids);
              return Promise.resolve();
            },
          } as unknown as HelpReplyProducer,
          consentConfig(),
          smsConfig(),
        );
        await replies.requeueStranded();
        expect(requeued).toContain(id);
      });
    });
  });
});

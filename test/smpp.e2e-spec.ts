// Sending over SMPP, end to end: the built service bound to the test SMSC on loopback (the smpp
// package's own server), which records every submit_sm and sends receipts and messages from phones
// back on the same binds.
import { api, type ApiClient } from './support/api';
import { startApp, type RunningApp } from './support/app-process';
import { dropDatabase, query } from './support/database';
import {
  batchStatus,
  messageLog,
  type BatchStatusBody,
  type LoggedMessage,
} from './support/dispatch';
import { FakeSmsc, STATUS, type SubmitRecord } from './support/fake-smsc';
import { deleteKeys } from './support/redis';
import { scratchDatabaseUrl, testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { phoneNumber, TEMPLATE, type RecipientInput } from './factories/batch.factory';

interface Delivery {
  delivered: number;
  undelivered: number;
  awaiting: number;
  unknown: number;
}
type WithDelivery = BatchStatusBody & { delivery: Delivery };
type Logged = LoggedMessage & { providerMessageId: string | null };

/** 150 characters outside GSM 03.38: three UCS-2 parts of at most 67. */
const LONG_UCS2 = 'Привет {{name}}! ' + 'Ваш код подтверждения готов. '.repeat(5);

describe('sending over SMPP (the test SMSC on loopback)', () => {
  let smsc: FakeSmsc;
  const databaseUrl = scratchDatabaseUrl('smpp');
  const redisPrefix = `${testEnv().redisPrefix}-smpp`;
  let app: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    smsc = await FakeSmsc.start({ receipts: { delayMs: 20 } });
    app = await startApp({
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: redisPrefix,
      SMS_PROVIDER: 'smpp',
      SMPP_URL: smsc.url,
      SMPP_SYSTEM_ID: 'salvo',
      SMPP_PASSWORD: 'secret',
      SMPP_SOURCE_ADDR: 'Salvo',
      SMPP_BINDS: '2',
      SMPP_WINDOW: '5',
      SMPP_RESPONSE_TIMEOUT_MS: '1000',
      PROVIDER_TIMEOUT_MS: '2000',
      // A send and a resolution (SMPP's is a second send at most), and the write.
      CLAIM_LEASE_MS: '8000',
      PROVIDER_MAX_MPS: '0',
      RATE_LIMIT_NORMAL: '100',
      RECONCILE_INTERVAL_MS: '300',
      RETRY_BASE_DELAY_MS: '50',
      // A dead SMSC (or a failing Twilio) opens the breaker: tried again after half a second.
      BREAKER_COOLDOWN_MS: '500',
      RETRY_MAX_DELAY_MS: '500',
      RATE_LIMIT_BACKOFF_BASE_MS: '100',
      RATE_LIMIT_BACKOFF_MAX_MS: '500',
    });
    client = api(app, testEnv().bootstrapApiKey);
    await smsc.waitFor('both binds', () => smsc.sessions === 2, 10_000);
  });

  afterEach(() => {
    smsc.set({ maxPerSecond: null, ackDelayMs: 0, refuseBinds: null, receipts: { delayMs: 20 } });
  });

  afterAll(async () => {
    await app?.stop();
    await smsc?.stop();
    await dropDatabase(databaseUrl);
    await deleteKeys(testEnv().redisUrl, redisPrefix);
  });

  async function send(list: RecipientInput[], text = TEMPLATE): Promise<string> {
    const created = await client.post('/api/batch', { text, recipients: list }).expect(201);
    return created.body.id as string;
  }

  /** Waits until the batch is final and no message awaits its receipt; the counts add up at every read. */
  function settled(id: string): Promise<WithDelivery> {
    return waitFor(
      `batch ${id} to hear every receipt`,
      async () => {
        const batch = (await batchStatus(client, id)) as WithDelivery;
        const { delivered, undelivered, awaiting, unknown } = batch.delivery;
        expect(delivered + undelivered + awaiting + unknown).toBe(batch.progress.completed);
        return ['completed', 'failed'].includes(batch.status) && awaiting === 0 && batch;
      },
      { timeoutMs: 30_000 },
    );
  }

  /** Recipients no earlier test wrote to, so the SMSC's records of them are this test's. */
  let used = 0;
  function recipients(
    count: number,
    variables: (i: number) => Record<string, unknown> = (i) => ({ name: `N${i}`, code: String(i) }),
  ): RecipientInput[] {
    const first = used;
    used += count;
    return Array.from({ length: count }, (_, i) => ({
      phoneNumber: phoneNumber(first + i),
      variables: variables(i),
    }));
  }

  const log = async (id: string) => (await messageLog(client, id)) as Logged[];
  const digits = (phoneNumber: string) => phoneNumber.slice(1);
  const submitsTo = (phoneNumber: string, all = false): SubmitRecord[] =>
    smsc.byDestination(all ? 'all' : 'accepted').get(digits(phoneNumber)) ?? [];

  it('delivers a batch, one submit_sm per message, with exact delivery counts', async () => {
    const list = recipients(20);
    const id = await send(list);
    const batch = await settled(id);
    expect(batch.progress).toMatchObject({ total: 20, completed: 20, failed: 0 });
    expect(batch.delivery).toEqual({ delivered: 20, undelivered: 0, awaiting: 0, unknown: 0 });

    for (const { phoneNumber } of list) expect(submitsTo(phoneNumber)).toHaveLength(1);
    const submit = submitsTo(list[0].phoneNumber)[0];
    // An alphanumeric sender (TON 5), an international destination, GSM text labelled 0, a receipt.
    expect(submit).toMatchObject({
      source_addr: 'Salvo',
      source_addr_ton: 5,
      dest_addr_ton: 1,
      data_coding: 0,
      registered_delivery: 1,
      text: 'Hi N0, your code is 0',
      concat: null,
    });
    expect(
      smsc.binds.every((b) => b.interfaceVersion === 0x34 && b.command === 'bind_transceiver'),
    ).toBe(true);

    // The SMSC's ids, whatever their leading zeros and case, are the messages' provider ids.
    const ids = new Map(smsc.accepted().map((s) => [s.destination_addr, s.messageId!]));
    for (const message of await log(id)) {
      expect(message).toMatchObject({
        status: 'sent',
        attempts: 1,
        deliveryStatus: 'delivered',
        providerStatus: 'DELIVRD',
      });
      const answered = ids.get(digits(message.phoneNumber))!;
      expect(message.providerMessageId).toBe(answered.toLowerCase().replace(/^0+(?=.)/, ''));
    }
  });

  it('reads receipts without TLVs, in another order, and reports undelivered ones', async () => {
    const list = recipients(6, (i) => ({ name: `R${i}`, code: String(i) }));
    const undelivered = digits(list[1].phoneNumber);
    const expired = digits(list[2].phoneNumber);
    smsc.set({
      receipts: {
        tlvs: false,
        beforeResp: true,
        stat: (s) =>
          s.destination_addr === undelivered
            ? 'UNDELIV'
            : s.destination_addr === expired
              ? 'EXPIRED'
              : 'DELIVRD',
      },
    });
    const id = await send(list);
    const batch = await settled(id);
    expect(batch.status).toBe('completed');
    expect(batch.delivery).toEqual({ delivered: 4, undelivered: 2, awaiting: 0, unknown: 0 });
    const messages = await log(id);
    const of = (to: string) => messages.find((m) => digits(m.phoneNumber) === to)!;
    expect(of(undelivered)).toMatchObject({
      status: 'sent',
      deliveryStatus: 'undelivered',
      deliveryError: { category: 'unreachable' },
    });
    expect(of(expired)).toMatchObject({
      deliveryStatus: 'undelivered',
      deliveryError: { category: 'timeout' },
    });
  });

  it('sends a long UCS-2 text as numbered parts of one reference, delivered as one message', async () => {
    const [delivered, lost] = recipients(2, (i) => ({ name: `Ольга${i}` }));
    // Every part of the second message is delivered but its second one.
    smsc.set({
      receipts: {
        stat: (s) =>
          s.destination_addr === digits(lost.phoneNumber) && s.concat?.part === 2
            ? 'UNDELIV'
            : 'DELIVRD',
      },
    });
    const id = await send([delivered, lost], LONG_UCS2);
    const batch = await settled(id);
    expect(batch.progress).toMatchObject({ total: 2, completed: 2, failed: 0 });
    expect(batch.delivery).toEqual({ delivered: 1, undelivered: 1, awaiting: 0, unknown: 0 });

    const parts = submitsTo(delivered.phoneNumber).sort((a, b) => a.concat!.part - b.concat!.part);
    expect(parts.map((p) => p.concat)).toEqual(
      [1, 2, 3].map((part) => ({ reference: parts[0].concat!.reference, total: 3, part })),
    );
    expect(parts.every((p) => p.data_coding === 8 && (p.esm_class & 0x40) === 0x40)).toBe(true);
    expect(parts.map((p) => p.text).join('')).toBe(LONG_UCS2.replace('{{name}}', 'Ольга0'));

    const messages = await log(id);
    const of = (r: RecipientInput) => messages.find((m) => m.phoneNumber === r.phoneNumber)!;
    expect(of(delivered)).toMatchObject({ deliveryStatus: 'delivered', attempts: 1 });
    expect(of(delivered).providerMessageId).toBe(
      parts[0].messageId!.toLowerCase().replace(/^0+(?=.)/, ''),
    );
    expect(of(lost)).toMatchObject({ deliveryStatus: 'undelivered', providerStatus: 'UNDELIV' });
  });

  it('stores a message from a phone, answering the SMSC once it is stored', async () => {
    const status = await smsc.sendMo({ from: '+447700900123', to: 'Salvo', text: 'STOP please' });
    expect(status).toBe(STATUS.ESME_ROK);
    const rows = await query<{ provider: string; from_number: string; body: string }>(
      databaseUrl,
      `SELECT provider, from_number, body FROM inbound_messages WHERE from_number = $1`,
      ['+447700900123'],
    );
    expect(rows).toEqual([{ provider: 'smpp', from_number: '+447700900123', body: 'STOP please' }]);
  });

  it('survives the SMSC dying mid-batch: in-doubt messages OUTCOME_UNKNOWN, nothing submitted twice', async () => {
    smsc.set({ ackDelayMs: 600 });
    const list = recipients(40, (i) => ({ name: `K${i}`, code: String(i) }));
    const id = await send(list);
    // Killed with submits written and not answered yet: their outcome is unknown.
    const inFlight = () =>
      smsc.submits.filter(
        (s) =>
          s.answeredAt === null && list.some((r) => digits(r.phoneNumber) === s.destination_addr),
      ).length;
    await smsc.waitFor('submits in flight', () => inFlight() >= 3, 10_000);
    await smsc.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await smsc.restart();
    smsc.set({ ackDelayMs: 0 });
    const batch = await settled(id);
    const messages = await log(id);
    const unknown = messages.filter((m) => m.lastError?.code === 'OUTCOME_UNKNOWN');
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.every((m) => m.status === 'failed' && m.lastError?.category === 'unknown')).toBe(
      true,
    );
    expect(batch.progress.failed).toBe(unknown.length);
    expect(batch.progress.completed + batch.progress.failed).toBe(40);
    for (const { phoneNumber } of list) {
      // Written at most once, whatever happened to the answer.
      expect(submitsTo(phoneNumber, true).length).toBeLessThanOrEqual(1);
    }
    for (const message of messages.filter((m) => m.status === 'sent')) {
      expect(submitsTo(message.phoneNumber)).toHaveLength(1);
    }
  });

  it('fails the batch with auth when the SMSC refuses the bind, and binds again when it stops refusing', async () => {
    smsc.set({ refuseBinds: STATUS.ESME_RINVPASWD });
    smsc.dropAll();
    await smsc.waitFor(
      'a refused bind',
      () => smsc.binds.some((b) => b.status === STATUS.ESME_RINVPASWD),
      10_000,
    );
    const id = await send(recipients(3, (i) => ({ name: `A${i}`, code: String(i) })));
    const batch = await waitFor(`batch ${id} to fail`, async () => {
      const status = await batchStatus(client, id);
      return status.status === 'failed' && status;
    });
    expect(batch.status).toBe('failed');
    const messages = await log(id);
    expect(
      messages.some(
        (m) => m.lastError?.category === 'auth' && m.lastError.code === 'ESME_RINVPASWD',
      ),
    ).toBe(true);

    smsc.set({ refuseBinds: null });
    await smsc.waitFor('the binds back', () => smsc.sessions === 2, 40_000);
  });
  // Last: throttling lowers the limiter's ceiling, which the next batches would feel.
  it('slows down when the SMSC throttles: no failure, no attempt counted', async () => {
    smsc.set({ maxPerSecond: 5 });
    const list = recipients(25, (i) => ({ name: `T${i}`, code: String(i) }));
    const id = await send(list);
    const batch = await settled(id);
    expect(batch.progress).toMatchObject({ total: 25, completed: 25, failed: 0 });
    const throttled = smsc.submits.filter(
      (s) =>
        s.status === STATUS.ESME_RTHROTTLED &&
        list.some((r) => digits(r.phoneNumber) === s.destination_addr),
    );
    expect(throttled.length).toBeGreaterThan(0);
    for (const message of await log(id))
      expect(message).toMatchObject({ status: 'sent', attempts: 1 });
    for (const { phoneNumber } of list) expect(submitsTo(phoneNumber)).toHaveLength(1);
  });
});

// Sending through Twilio, end to end: the built service against the fake Twilio on loopback, which
// counts every SMS it created and posts signed status callbacks back to PUBLIC_BASE_URL.
import { api, type ApiClient } from './support/api';
import { startApp, type RunningApp } from './support/app-process';
import { dropDatabase } from './support/database';
import { batchStatus, messageLog, waitForStatus, type BatchStatusBody } from './support/dispatch';
import { FakeTwilio, FAKE_NUMBERS } from './support/fake-twilio';
import { freePort } from './support/free-port';
import { deleteKeys } from './support/redis';
import { scratchDatabaseUrl, testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, TEMPLATE, type RecipientInput } from './factories/batch.factory';

interface Delivery {
  delivered: number;
  undelivered: number;
  awaiting: number;
  unknown: number;
}
type WithDelivery = BatchStatusBody & {
  delivery: Delivery;
  metrics: { deliveryRate: number | null };
};
interface DeliveredMessage {
  phoneNumber: string;
  status: string;
  providerMessageId: string | null;
  deliveryStatus: string | null;
  deliveredAt: string | null;
  deliveryError: { category: string; code: string } | null;
  providerStatus: string | null;
  resolution: { method: string; outcome: string } | null;
}

describe('sending through Twilio (the fake on loopback)', () => {
  const twilio = new FakeTwilio();
  const databaseUrl = scratchDatabaseUrl('twilio');
  const redisPrefix = `${testEnv().redisPrefix}-twilio`;
  let app: RunningApp;
  let client: ApiClient;

  beforeAll(async () => {
    await twilio.start();
    const port = await freePort();
    app = await startApp({
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: redisPrefix,
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE_URL: twilio.baseUrl,
      TWILIO_LOOKUP_DELAY_MS: '300',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      PROVIDER_MAX_MPS: '0',
      RATE_LIMIT_NORMAL: '200',
      PROVIDER_TIMEOUT_MS: '1000',
      // A send, the lookup's delay and budget, and the write: 3 × 1000 + 300 + flush + 1000.
      CLAIM_LEASE_MS: '8000',
      RECONCILE_INTERVAL_MS: '300',
      RETRY_BASE_DELAY_MS: '50',
      // A dead SMSC (or a failing Twilio) opens the breaker: tried again after half a second.
      BREAKER_COOLDOWN_MS: '500',
      RETRY_MAX_DELAY_MS: '500',
      // A 429 storm without Retry-After backs off up to this (not the default 30 s).
      RATE_LIMIT_BACKOFF_MAX_MS: '1000',
    });
    client = api(app, testEnv().bootstrapApiKey);
  });

  afterEach(() => {
    twilio.autoCallbacks(null);
    twilio.refuseAuth(false);
  });

  afterAll(async () => {
    await app?.stop();
    await twilio.close();
    await dropDatabase(databaseUrl);
    await deleteKeys(testEnv().redisUrl, redisPrefix);
  });

  async function send(list: RecipientInput[]): Promise<string> {
    const created = await client
      .post('/api/batch', { text: TEMPLATE, recipients: list })
      .expect(201);
    return created.body.id as string;
  }

  function deliveryOf(id: string): Promise<WithDelivery> {
    return batchStatus(client, id);
  }

  /** Waits until no message of the batch awaits its receipt, checking the counts add up at every read. */
  async function settled(id: string): Promise<WithDelivery> {
    return waitFor(`batch ${id} to hear every receipt`, async () => {
      const batch = await deliveryOf(id);
      const { delivered, undelivered, awaiting, unknown } = batch.delivery;
      expect(delivered + undelivered + awaiting + unknown).toBe(batch.progress.completed);
      return ['completed', 'failed'].includes(batch.status) && awaiting === 0 && batch;
    });
  }

  async function log(id: string): Promise<DeliveredMessage[]> {
    return (await messageLog(client, id)) as unknown as DeliveredMessage[];
  }

  it('delivers a batch, one SMS per message at Twilio, with exact delivery counts', async () => {
    twilio.autoCallbacks({ delayMs: 20 });
    const list = recipients(30);
    const id = await send(list);
    const batch = await settled(id);
    expect(batch.progress).toMatchObject({ total: 30, completed: 30, failed: 0 });
    expect(batch.delivery).toEqual({ delivered: 30, undelivered: 0, awaiting: 0, unknown: 0 });
    expect(batch.metrics.deliveryRate).toBe(1);
    for (const { phoneNumber } of list) expect(twilio.count(phoneNumber)).toBe(1);

    const messages = await log(id);
    const sids = new Set(twilio.messages.map((m) => m.sid));
    for (const message of messages) {
      expect(message).toMatchObject({
        status: 'sent',
        deliveryStatus: 'delivered',
        providerStatus: 'delivered',
        deliveryError: null,
      });
      expect(sids.has(message.providerMessageId!)).toBe(true);
      expect(message.deliveredAt).not.toBeNull();
    }
    // Twilio was told where to report, and what is left of the validity.
    const created = twilio.messages.find((m) => m.to === list[0].phoneNumber)!;
    expect(created.statusCallback).toBe(`${app.url}/webhooks/twilio/status`);
    expect(created.validityPeriod).toBeGreaterThan(0);
    expect(created.validityPeriod).toBeLessThanOrEqual(36_000);
  });

  it('reports an undelivered message in the batch, its log and the error log, without failing anything', async () => {
    const list = recipients(5, (i) => ({ name: `U${i}`, code: '7' }));
    const unreachable = list[2].phoneNumber;
    twilio.autoCallbacks({ undelivered: { [unreachable]: '30003' } });
    const id = await send(list);
    const batch = await settled(id);
    expect(batch.status).toBe('completed');
    expect(batch.progress).toMatchObject({ completed: 5, failed: 0 });
    expect(batch.delivery).toEqual({ delivered: 4, undelivered: 1, awaiting: 0, unknown: 0 });
    expect(batch.metrics.deliveryRate).toBeCloseTo(0.8);

    const message = (await log(id)).find((m) => m.phoneNumber === unreachable)!;
    expect(message).toMatchObject({
      status: 'sent',
      deliveryStatus: 'undelivered',
      deliveredAt: null,
      deliveryError: { category: 'unreachable', code: '30003' },
    });
    const errors = await client.get(`/api/batch/${id}/errors`).expect(200);
    expect(errors.body.items).toEqual([
      expect.objectContaining({ category: 'unreachable', code: '30003', stage: 'delivery' }),
    ]);
  });

  it('keeps the highest status through callbacks out of order and duplicated', async () => {
    twilio.autoCallbacks({ outOfOrder: true, duplicate: true });
    const id = await send(recipients(8, (i) => ({ name: `O${i}`, code: '8' })));
    const batch = await settled(id);
    // `sent` came after `delivered`, and everything twice: nothing moved back or counted twice.
    expect(batch.delivery).toEqual({ delivered: 8, undelivered: 0, awaiting: 0, unknown: 0 });
    for (const message of await log(id)) {
      expect(message).toMatchObject({ deliveryStatus: 'delivered', providerStatus: 'delivered' });
    }
    // The `sent` callbacks come after `delivered` here: wait for Salvo's answers to all of them.
    const statusCallbacks = () => twilio.callbacks.filter((c) => c.url.endsWith('/status'));
    await waitFor('every status callback to be answered', () =>
      Promise.resolve(statusCallbacks().every((c) => c.answer !== 'pending')),
    );
    expect(statusCallbacks().filter((c) => c.answer !== 200)).toEqual([]);
  });

  it('keeps a receipt that arrives before its send result and applies it', async () => {
    twilio.autoCallbacks({ beforeAnswer: true });
    const id = await send(recipients(6, (i) => ({ name: `R${i}`, code: '9' })));
    const batch = await settled(id);
    expect(batch.delivery).toEqual({ delivered: 6, undelivered: 0, awaiting: 0, unknown: 0 });
  });

  it('resolves an unanswered create by lookup: adopted, with no second SMS at Twilio', async () => {
    twilio.autoCallbacks({});
    const body = { name: 'Hang', code: '42' };
    const id = await send([{ phoneNumber: FAKE_NUMBERS.hang, variables: body }]);
    const batch = await waitForStatus(client, id, ['completed', 'failed']);
    expect(batch.progress).toMatchObject({ completed: 1, failed: 0 });
    const [message] = await log(id);
    const [created] = twilio.messages.filter((m) => m.to === FAKE_NUMBERS.hang);
    expect(message).toMatchObject({
      status: 'sent',
      providerMessageId: created.sid,
      resolution: { method: 'lookup', outcome: 'adopted' },
    });
    expect(twilio.count(FAKE_NUMBERS.hang)).toBe(1);
  });

  it('slows down through a 429 storm and still sends everything once', async () => {
    twilio.rateLimitFor(2_000);
    const started = Date.now();
    const list = recipients(20, (i) => ({ name: `S${i}`, code: '5' }));
    const id = await send(list);
    const batch = await waitForStatus(client, id, ['completed', 'failed'], 60_000);
    expect(batch.status).toBe('completed');
    expect(batch.progress).toMatchObject({ completed: 20, failed: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    // Earlier cases sent to the same numbers: this batch's messages are told by their text.
    list.forEach(({ phoneNumber }, i) =>
      expect(twilio.count(phoneNumber, `Hi S${i}, your code is 5`)).toBe(1),
    );
  });

  it('fails the batch when Twilio refuses the credentials, as with any provider', async () => {
    twilio.refuseAuth(true);
    const id = await send(recipients(10, (i) => ({ name: `A${i}`, code: '6' })));
    const batch = await waitForStatus(client, id, ['failed']);
    expect(batch.failureReason).toMatch(/credentials/);
    expect(batch.progress.completed).toBe(0);
  });
});

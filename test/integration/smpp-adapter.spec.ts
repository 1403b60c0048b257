// The SMPP adapter against the test SMSC on loopback: long messages part by part (a refused part,
// and a retry that sends only what is missing with the same reference), deliver_sm answered by
// what could be stored, and SMPP_MAX_MPS shared through Redis by two adapters (two processes).
import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import {
  redisConfig,
  routingConfig,
  smsConfig,
  type SmppSettings,
} from '../../src/config/configuration';
import type { InboundSms, ProviderReceipt } from '../../src/sms/receipts';
import type { SendRequest, SendResult } from '../../src/sms/sms-provider';
import { SmppSmsProvider } from '../../src/sms/smpp/smpp-sms-provider';
import { smppSettings } from '../factories/smpp-settings';
import { FakeSmsc, STATUS } from '../support/fake-smsc';
import { deleteKeys } from '../support/redis';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Three GSM parts (153 + 153 + 54 characters). */
const LONG_TEXT = 'x'.repeat(360);

function settings(smsc: FakeSmsc, overrides: Partial<SmppSettings> = {}): SmppSettings {
  return smppSettings(smsc.port, {
    source: { addr: '447700900000', ton: 1, npi: 1 },
    responseTimeoutMs: 300,
    ...overrides,
  });
}

function request(to: string, body: string): SendRequest {
  const id = randomUUID();
  return {
    messageId: id,
    idempotencyKey: id,
    to,
    body,
    attempt: 1,
    since: new Date(),
    validUntil: new Date(Date.now() + 3_600_000),
  };
}

describe('the SMPP adapter and the test SMSC', () => {
  const prefix = `salvo-test-smpp-${randomBytes(3).toString('hex')}`;
  let redis: Redis;
  let smsc: FakeSmsc;
  const adapters: SmppSmsProvider[] = [];
  let receipts: ProviderReceipt[];
  let inbound: InboundSms[];
  let storing: 'works' | 'fails';

  async function adapter(
    overrides: Partial<SmppSettings> = {},
    timeoutMs = 1_000,
  ): Promise<SmppSmsProvider> {
    const created = new SmppSmsProvider(
      { settings: settings(smsc, overrides) },
      { ...smsConfig(), provider: 'smpp', timeoutMs },
      { ...routingConfig(), providers: ['smpp'] },
      redis,
      { ...redisConfig(), prefix },
      {
        record: (received) =>
          storing === 'works'
            ? Promise.resolve(void receipts.push(...received))
            : Promise.reject(new Error('the database is away')),
      },
      {
        store: (sms) =>
          storing === 'works'
            ? Promise.resolve(inbound.push(sms) > 0)
            : Promise.reject(new Error('the database is away')),
      },
    );
    created.onApplicationBootstrap();
    adapters.push(created);
    const sessions = smsc.sessions;
    await smsc.waitFor('the adapter to bind', () => smsc.sessions > sessions);
    return created;
  }

  beforeAll(() => {
    Logger.overrideLogger(false); // binds log each bind and outage; the assertions say what matters
    redis = new Redis(REDIS_URL);
  });

  beforeEach(async () => {
    smsc = await FakeSmsc.start();
    receipts = [];
    inbound = [];
    storing = 'works';
  });

  afterEach(async () => {
    await Promise.all(adapters.splice(0).map((a) => a.onApplicationShutdown()));
    await smsc.stop();
  });

  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
    await redis.quit();
  });

  it('keeps the parts a refusal left accepted, and the retry sends only the others, with the same reference', async () => {
    const smpp = await adapter();
    let refuse = true;
    smsc.set({ answer: (s) => (refuse && s.concat?.part === 2 ? STATUS.ESME_RSYSERR : undefined) });
    const call = request('+447700900001', LONG_TEXT);

    const refused = (await smpp.send(call)) as Extract<SendResult, { accepted: false }>;
    expect(refused).toMatchObject({
      accepted: false,
      category: 'provider_error',
      code: 'ESME_RSYSERR',
    });
    expect(refused.parts?.total).toBe(3);
    expect(refused.parts?.accepted.map((p) => p.part)).toEqual([1, 3]);

    refuse = false;
    const accepted = await smpp.send({ ...call, parts: refused.parts });
    const submits = smsc.submits.filter((s) => s.destination_addr === '447700900001');
    // Parts 1, 2 (refused), 3, then 2 again: nothing accepted twice.
    expect(submits.map((s) => s.concat?.part)).toHaveLength(4);
    expect(
      submits
        .filter((s) => s.status === STATUS.ESME_ROK)
        .map((s) => s.concat?.part)
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(new Set(submits.map((s) => s.concat?.reference)).size).toBe(1);
    const first = submits.find((s) => s.concat?.part === 1)!;
    expect(accepted).toMatchObject({
      accepted: true,
      providerMessageId: first.messageId!.replace(/^0+/, '').toLowerCase(),
      parts: { reference: refused.parts!.reference, total: 3 },
    });
    expect(accepted.parts?.accepted.map((p) => p.part)).toEqual([1, 2, 3]);
  });

  it('answers a deliver_sm once it is stored, and ESME_RX_T_APPN when it could not be', async () => {
    await adapter();
    smsc.set({ receipts: null });
    const smpp = adapters[0];
    await smpp.send(request('+447700900002', 'Hello'));
    const submit = smsc.accepted()[0];

    expect(await smsc.sendReceipt(submit, 'DELIVRD')).toBe(STATUS.ESME_ROK);
    expect(receipts).toEqual([
      expect.objectContaining({
        provider: 'smpp',
        providerMessageId: submit.messageId!.replace(/^0+/, '').toLowerCase(),
        status: 'DELIVRD',
        outcome: 'delivered',
      }),
    ]);
    expect(await smsc.sendMo({ from: '+447700900003', to: '447700900000', text: 'Hi back' })).toBe(
      STATUS.ESME_ROK,
    );
    expect(inbound).toEqual([
      expect.objectContaining({ from: '+447700900003', body: 'Hi back', provider: 'smpp' }),
    ]);

    storing = 'fails';
    expect(await smsc.sendReceipt(submit, 'DELIVRD')).toBe(STATUS.ESME_RX_T_APPN);
    expect(await smsc.sendMo({ from: '+447700900003', to: '447700900000', text: 'Again' })).toBe(
      STATUS.ESME_RX_T_APPN,
    );
    expect(receipts).toHaveLength(1);
  });

  it.each([
    ['decimal', 'hex'],
    ['hex', 'decimal'],
  ] as const)(
    'matches receipts written in %s to ids the SMSC answered in %s (SMPP_RECEIPT_ID_BASE)',
    async (base, idFormat) => {
      const smpp = await adapter({ receiptIdBase: base });
      smsc.set({ idFormat, receipts: { idBase: base } });
      const sent = await smpp.send(request('+447700900005', 'Hello'));
      await smsc.waitFor('the receipt', () => receipts.length === 1);
      const submit = smsc.accepted()[0];
      // The SMSC wrote the receipt's id in the other base; it still names the message's id.
      expect(sent).toMatchObject({ accepted: true });
      expect((sent as { providerMessageId: string }).providerMessageId).toBe(
        submit.messageId!.toLowerCase().replace(/^0+(?=.)/, ''),
      );
      expect(receipts[0]).toMatchObject({
        providerMessageId: (sent as { providerMessageId: string }).providerMessageId,
        status: 'DELIVRD',
      });
    },
  );

  it('resends only the unanswered part of a long message when SMPP_RESEND_UNKNOWN is on', async () => {
    const smpp = await adapter({ resendUnknown: true });
    let hold = true;
    smsc.set({ respond: (s) => !(hold && s.concat?.part === 3) });
    const call = request('+447700900004', LONG_TEXT);
    const first = (await smpp.send(call)) as Extract<SendResult, { accepted: false }>;
    expect(first).toMatchObject({
      accepted: false,
      category: 'timeout',
      code: 'SMPP_RESPONSE_TIMEOUT',
    });
    hold = false;
    // What callProvider hands the resolution: the parts the unknown call had sent.
    const resolved = await smpp.resolve({ ...call, parts: first.parts }, {});
    expect(resolved).toMatchObject({
      accepted: true,
      resolution: { method: 'resend', outcome: 'resent' },
    });
    const parts = smsc.submits
      .filter((s) => s.destination_addr === '447700900004')
      .map((s) => s.concat?.part);
    expect(parts.sort()).toEqual([1, 2, 3, 3]);
  });

  it('never lets two adapters together exceed SMPP_MAX_MPS at the SMSC', async () => {
    const maxMps = 40;
    // Each call may wait 4.5 s for its slot: room for 180 at 40 a second.
    const [one, two] = [await adapter({ maxMps }, 5_000), await adapter({ maxMps }, 5_000)];
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? one : two).send(
          request(`+4477009${String(10_000 + i).padStart(5, '0')}`, `m${i}`),
        ),
      ),
    );
    // A slot reached late is given up, so a very busy machine may leave a call without one in
    // time: not written, retried by dispatch. Everything written was accepted and counted.
    const written = smsc.submits.length;
    expect(written).toBeGreaterThanOrEqual(90);
    expect(results.filter((r) => r.accepted)).toHaveLength(written);
    expect(results.every((r) => r.accepted || (r.category === 'rate_limited' && r.local))).toBe(
      true,
    );
    expect(smsc.maxInAnySecond()).toBeLessThanOrEqual(maxMps + 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(((written - 1) / maxMps) * 1000 - 50);
  });
});

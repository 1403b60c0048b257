// What every provider adapter must do, whatever its provider: one suite, one harness per adapter
// that can script each scenario (the simulator has scripted numbers; a fake Twilio on loopback or a
// test SMSC can be told what to answer). A new adapter adds its harness to ADAPTERS.
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Redis from 'ioredis';
import { redisConfig, routingConfig, smsConfig } from '../../src/config/configuration';
import type { ErrorCategory } from '../../src/errors/error-taxonomy';
import { sendWithTimeout } from '../../src/sms/provider-call';
import type {
  ResolveContext,
  SendRequest,
  SendResult,
  SmsProvider,
} from '../../src/sms/sms-provider';
import { SimulatedSmsProvider } from '../../src/sms/simulator/simulated-sms-provider';
import { SimulatorLedger } from '../../src/sms/simulator/simulator-ledger';
import { SmppSmsProvider } from '../../src/sms/smpp/smpp-sms-provider';
import { TwilioSmsProvider } from '../../src/sms/twilio/twilio-sms-provider';
import { smppSettings } from '../factories/smpp-settings';
import { FakeSmsc, STATUS } from '../support/fake-smsc';
import { FAKE_NUMBERS, FakeTwilio } from '../support/fake-twilio';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

/** What a harness can make its provider do with a request. */
type Scenario = 'accept' | 'reject-permanently' | 'reject-transiently' | 'rate-limit' | 'time-out';

interface AdapterHarness {
  adapter: SmsProvider;
  /** PROVIDER_TIMEOUT_MS for this harness's calls. */
  timeoutMs: number;
  /** A new message (its own idempotency key) that the provider will answer as `scenario` says. */
  request(scenario: Scenario): SendRequest;
  /** How many SMS the provider really sent for this message (its fake's or its ledger's count). */
  sentCount(request: SendRequest): Promise<number>;
  /** Whether the provider's protocol can say how long to wait after throttling (SMPP cannot). */
  asksDelay: boolean;
  /** Waits until calls the adapter has given up on have ended at the provider too. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const ADAPTERS: [string, () => Promise<AdapterHarness>][] = [
  ['simulated', simulatorHarness],
  ['twilio', twilioHarness],
  ['smpp', smppHarness],
];

/** A new message to `to` with a text of its own, so the provider shows any second SMS. */
function newRequest(to: string): SendRequest {
  const id = randomUUID();
  const now = Date.now();
  return {
    messageId: id,
    idempotencyKey: id,
    to,
    body: `Hi ${id}`,
    attempt: 1,
    since: new Date(now - 1000),
    validUntil: new Date(now + 3_600_000),
  };
}

/** What dispatch tells a resolution: here no other message holds any provider message id. */
const RESOLVE_CONTEXT: ResolveContext = {
  taken: () => Promise.resolve(new Set()),
  adopt: () => Promise.resolve(true),
  held: () => Promise.resolve(true),
};

/** The simulator's scripted numbers (README, "The simulated provider") on a migrated database. */
async function simulatorHarness(): Promise<AdapterHarness> {
  const db: MigratedDatabase = await createMigratedDatabase();
  const timeoutMs = 200;
  const numbers: Record<Scenario, string> = {
    accept: '+12015550100',
    'reject-permanently': '+12025550190',
    'reject-transiently': '+12025550195',
    'rate-limit': '+12025550193',
    'time-out': '+12025550194',
  };
  const sms = {
    ...smsConfig(),
    timeoutMs,
    simulator: { latencyMs: 0, failureRate: 0, maxMps: 0, receipts: false, dlrDelayMs: 0 },
  };
  // Redis counts calls only under SIMULATOR_MAX_MPS, which is 0 here.
  const noRedis = {} as Redis;
  return {
    adapter: new SimulatedSmsProvider(
      new SimulatorLedger(db.dataSource),
      noRedis,
      sms,
      redisConfig(),
      { record: () => Promise.resolve() },
    ),
    timeoutMs,
    asksDelay: true,
    // A text of its own: the ledger then shows any second SMS, whatever key it went under.
    request: (scenario) => newRequest(numbers[scenario]),
    async sentCount({ body }) {
      const [{ count }] = await db.dataSource.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM simulator_ledger WHERE body = $1`,
        [body],
      );
      return count;
    },
    // A hanging scripted call answers 100 ms after the caller's timeout.
    settle: () => sleep(timeoutMs + 300),
    close: () => db.drop(),
  };
}

/** The fake Twilio's scripted numbers (test/support/fake-twilio.ts), counted at the fake. */
async function twilioHarness(): Promise<AdapterHarness> {
  const fake = new FakeTwilio();
  await fake.start();
  const timeoutMs = 300;
  const numbers: Record<Scenario, string> = {
    accept: '+12015550100',
    'reject-permanently': FAKE_NUMBERS.invalid,
    'reject-transiently': FAKE_NUMBERS.serverError,
    'rate-limit': FAKE_NUMBERS.rateLimited,
    'time-out': FAKE_NUMBERS.hang,
  };
  const settings = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: '+15005550006',
    messagingServiceSid: null,
    apiBaseUrl: fake.baseUrl,
    maxConcurrency: 10,
    lookupDelayMs: 50,
    publicBaseUrl: 'http://127.0.0.1:1',
  };
  return {
    adapter: new TwilioSmsProvider({ settings }, { ...smsConfig(), timeoutMs }),
    timeoutMs,
    asksDelay: true,
    request: (scenario) => newRequest(numbers[scenario]),
    sentCount: ({ to, body }) => Promise.resolve(fake.count(to, body)),
    // A call the adapter gave up on is aborted: the fake sees its connection close.
    async settle() {
      while (fake.hangingOpen > 0) await sleep(20);
    },
    close: () => fake.close(),
  };
}

/** The test SMSC (test/support/fake-smsc.ts), answering each scenario's number as it says. */
async function smppHarness(): Promise<AdapterHarness> {
  Logger.overrideLogger(false); // its binds log each bind and outage
  const timeoutMs = 400;
  const numbers: Record<Scenario, string> = {
    accept: '+12015550100',
    'reject-permanently': '+12015550101',
    'reject-transiently': '+12015550102',
    'rate-limit': '+12015550103',
    'time-out': '+12015550104',
  };
  const statuses: Record<string, number> = {
    [numbers['reject-permanently'].slice(1)]: STATUS.ESME_RINVDSTADR,
    [numbers['reject-transiently'].slice(1)]: STATUS.ESME_RSYSERR,
    [numbers['rate-limit'].slice(1)]: STATUS.ESME_RTHROTTLED,
  };
  const smsc = await FakeSmsc.start({
    answer: (submit) => statuses[submit.destination_addr],
    respond: (submit) => submit.destination_addr !== numbers['time-out'].slice(1),
  });
  const settings = smppSettings(smsc.port, { responseTimeoutMs: 250 });
  const adapter = new SmppSmsProvider(
    { settings },
    { ...smsConfig(), provider: 'smpp', timeoutMs },
    { ...routingConfig(), providers: ['smpp'] },
    {} as Redis,
    redisConfig(),
    { record: () => Promise.resolve() },
    { store: () => Promise.resolve(true) },
  );
  adapter.onApplicationBootstrap();
  await smsc.waitFor('the adapter to bind', () => smsc.sessions > 0);
  return {
    adapter,
    timeoutMs,
    asksDelay: false,
    request: (scenario) => newRequest(numbers[scenario]),
    sentCount: ({ to, body }) =>
      Promise.resolve(
        smsc.submits.filter(
          (s) =>
            s.destination_addr === to.slice(1) && s.text === body && s.status === STATUS.ESME_ROK,
        ).length,
      ),
    settle: () => Promise.resolve(),
    async close() {
      await adapter.onApplicationShutdown();
      await smsc.stop();
    },
  };
}

const PERMANENT: readonly ErrorCategory[] = ['invalid_number', 'opted_out', 'content_rejected'];

function rejection(result: SendResult) {
  if (result.accepted) throw new Error(`Expected a rejection, got ${JSON.stringify(result)}`);
  return result;
}

describe.each(ADAPTERS)('the %s adapter', (_name, createHarness) => {
  let harness: AdapterHarness;
  const send = (request: SendRequest) =>
    sendWithTimeout(harness.adapter, request, harness.timeoutMs);

  beforeAll(async () => {
    harness = await createHarness();
  });
  afterAll(() => harness.close());

  it('accepts: a provider message id, one SMS', async () => {
    const request = harness.request('accept');
    const result = await send(request);
    expect(result).toMatchObject({ accepted: true, providerMessageId: expect.any(String) });
    expect(await harness.sentCount(request)).toBe(1);
  });

  it('rejects permanently: a permanent category with the raw code and text, no SMS', async () => {
    const request = harness.request('reject-permanently');
    const result = rejection(await send(request));
    expect(PERMANENT).toContain(result.category);
    expect(result.code).toMatch(/\S/);
    expect(result.message).toMatch(/\S/);
    expect(await harness.sentCount(request)).toBe(0);
  });

  it('rejects transiently: provider_error, no SMS', async () => {
    const request = harness.request('reject-transiently');
    expect(rejection(await send(request)).category).toBe('provider_error');
    expect(await harness.sentCount(request)).toBe(0);
  });

  it('rate-limits: rate_limited with the delay the provider asked for, if it can ask one', async () => {
    const request = harness.request('rate-limit');
    const result = rejection(await send(request));
    expect(result.category).toBe('rate_limited');
    if (harness.asksDelay) expect(result.retryAfterMs).toBeGreaterThan(0);
    expect(await harness.sentCount(request)).toBe(0);
  });

  it("times out: no answer within PROVIDER_TIMEOUT_MS (or the protocol's own timeout) is a timeout", async () => {
    const request = harness.request('time-out');
    expect(rejection(await send(request))).toMatchObject({ category: 'timeout' });
    await harness.settle();
  });

  it('resolves a timed-out message without a second SMS: accepted, or OUTCOME_UNKNOWN', async () => {
    const request = harness.request('time-out');
    expect(rejection(await send(request)).category).toBe('timeout');
    const resolved = await harness.adapter.resolve(request, RESOLVE_CONTEXT);
    await harness.settle();
    const sent = await harness.sentCount(request);
    if (resolved.accepted) {
      expect(sent).toBe(1);
    } else {
      expect(resolved).toMatchObject({ category: 'unknown', code: 'OUTCOME_UNKNOWN' });
      expect(sent).toBeLessThanOrEqual(1);
    }
  });

  it('resolves an accepted message to the same acceptance (or OUTCOME_UNKNOWN), never resending', async () => {
    const request = harness.request('accept');
    const first = await send(request);
    const resolved = await harness.adapter.resolve(request, RESOLVE_CONTEXT);
    // The same acceptance (an adapter may add how it resolved it).
    if (resolved.accepted) expect(resolved).toMatchObject(first);
    else expect(resolved).toMatchObject({ category: 'unknown', code: 'OUTCOME_UNKNOWN' });
    expect(await harness.sentCount(request)).toBe(1);
  });

  it('says truly whether it honours idempotency keys: if so, a repeated key sends once', async () => {
    const request = harness.request('accept');
    const first = await send(request);
    if (!harness.adapter.idempotent) return; // resolve answers for it (above)
    expect(await send(request)).toEqual(first);
    expect(await harness.sentCount(request)).toBe(1);
  });
});

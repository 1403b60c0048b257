// The Twilio adapter against the fake Twilio on loopback (test/support/fake-twilio.ts).
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { smsConfig, type TwilioSettings } from '../../config/configuration';
import { FAKE_NUMBERS, FakeTwilio } from '../../../test/support/fake-twilio';
import { callProvider, CLAIM_LAPSED, sendWithTimeout } from '../provider-call';
import type { ResolveContext, SendRequest } from '../sms-provider';
import { TwilioSmsProvider, validityPeriod } from './twilio-sms-provider';

const FROM = '+15005550006';
const SERVICE = 'MG' + 'c'.repeat(32);
const nobodyElse: ResolveContext['taken'] = () => Promise.resolve(new Set());
const granted: ResolveContext['adopt'] = () => Promise.resolve(true);
/** A resolution no other message competes with. */
const alone: ResolveContext = {
  taken: nobodyElse,
  adopt: granted,
  held: () => Promise.resolve(true),
};

let fake: FakeTwilio;

beforeEach(async () => {
  fake = new FakeTwilio();
  await fake.start();
});
afterEach(() => fake.close());

function newAdapter(settings: Partial<TwilioSettings> = {}, timeoutMs = 1000) {
  return new TwilioSmsProvider(
    {
      settings: {
        accountSid: fake.accountSid,
        authToken: fake.authToken,
        from: FROM,
        messagingServiceSid: null,
        apiBaseUrl: fake.baseUrl,
        maxConcurrency: 10,
        lookupDelayMs: 0,
        publicBaseUrl: 'https://salvo.example.com/sms',
        ...settings,
      },
    },
    { ...smsConfig(), timeoutMs },
  );
}

/** A message of its own text to `to`; its batch started a minute ago, valid for ten minutes. */
function request(to = '+12015550100', body = `Hi ${randomUUID()}`): SendRequest {
  const id = randomUUID();
  const now = Date.now();
  return {
    messageId: id,
    idempotencyKey: id,
    to,
    body,
    attempt: 1,
    since: new Date(now - 60_000),
    validUntil: new Date(now + 600_000),
  };
}

describe('TwilioSmsProvider.send', () => {
  it('creates the message with its sender, callback and remaining validity; the sid is the id', async () => {
    const message = request();
    const result = await newAdapter().send(message);
    expect(fake.messages).toHaveLength(1);
    const [created] = fake.messages;
    expect(result).toEqual({ accepted: true, providerMessageId: created.sid });
    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      to: message.to,
      body: message.body,
      from: FROM,
      messagingServiceSid: null,
      statusCallback: 'https://salvo.example.com/sms/webhooks/twilio/status',
    });
    expect(created.validityPeriod).toBeGreaterThanOrEqual(598);
    expect(created.validityPeriod).toBeLessThanOrEqual(600);
  });

  it('sends through the Messaging Service instead of a From when one is configured', async () => {
    await newAdapter({ from: null, messagingServiceSid: SERVICE }).send(request());
    expect(fake.messages[0]).toMatchObject({ from: null, messagingServiceSid: SERVICE });
  });

  it('sends from the sender a request names (an answer to HELP), even with a Messaging Service', async () => {
    const reply = { ...request(), from: '+15005550009' };
    await newAdapter({ from: null, messagingServiceSid: SERVICE }).send(reply);
    expect(fake.messages[0]).toMatchObject({ from: '+15005550009', messagingServiceSid: null });
  });

  it.each([
    [36_001_000, 36_000],
    [600_500, 600],
    [500, 1],
    [-5_000, 1],
  ])('asks a validity of what is left (%p ms left: %p s, within 1..36000)', (leftMs, seconds) => {
    const now = Date.now();
    expect(validityPeriod(new Date(now + leftMs), now)).toBe(seconds);
  });

  it.each([
    [FAKE_NUMBERS.invalid, 'invalid_number', '21211'],
    [FAKE_NUMBERS.optedOut, 'opted_out', '21610'],
    [FAKE_NUMBERS.notMobile, 'invalid_number', '21614'],
    [FAKE_NUMBERS.contentRejected, 'content_rejected', '30007'],
    [FAKE_NUMBERS.serverError, 'provider_error', '20500'],
  ])('%s is refused as %s with the raw code and text', async (to, category, code) => {
    const result = await newAdapter().send(request(to));
    expect(result).toEqual({
      accepted: false,
      category,
      code,
      message: expect.stringMatching(/\S/) as string,
    });
    expect(fake.messages).toHaveLength(0);
  });

  it("honours a 429's Retry-After, and leaves the backoff to Salvo without one", async () => {
    const adapter = newAdapter();
    await expect(adapter.send(request(FAKE_NUMBERS.rateLimited))).resolves.toMatchObject({
      category: 'rate_limited',
      code: '20429',
      retryAfterMs: 1000,
    });
    const bare = await adapter.send(request(FAKE_NUMBERS.rateLimitedBare));
    expect(bare).toMatchObject({ category: 'rate_limited', code: '20429' });
    expect(bare).not.toHaveProperty('retryAfterMs');
    fake.rateLimitFor(60_000, 7);
    await expect(adapter.send(request())).resolves.toMatchObject({ retryAfterMs: 7000 });
  });

  it('never follows a redirect: a provider error naming the configuration, nothing sent', async () => {
    const redirector = createHttpServer((req, res) => {
      res.writeHead(307, { location: `${fake.baseUrl}${req.url}` }).end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    const { port } = redirector.address() as { port: number };
    try {
      const result = await newAdapter({ apiBaseUrl: `http://127.0.0.1:${port}` }).send(request());
      expect(result).toMatchObject({
        accepted: false,
        category: 'provider_error',
        code: 'TWILIO_REDIRECT',
        message: expect.stringContaining('TWILIO_API_BASE_URL') as string,
      });
      expect(fake.creates).toBe(0);
    } finally {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    }
  });

  it('is refused as auth (20003) with a wrong token, or when Twilio refuses the account', async () => {
    await expect(newAdapter({ authToken: 'wrong' }).send(request())).resolves.toMatchObject({
      category: 'auth',
      code: '20003',
    });
    fake.refuseAuth();
    await expect(newAdapter().send(request())).resolves.toMatchObject({ category: 'auth' });
    expect(fake.messages).toHaveLength(0);
  });

  it('answers a refused connection as a provider error: nothing was sent', async () => {
    const port = await closedPort();
    const result = await newAdapter({ apiBaseUrl: `http://127.0.0.1:${port}` }).send(request());
    expect(result).toMatchObject({ accepted: false, category: 'provider_error' });
    expect(result).toHaveProperty('code', 'ECONNREFUSED');
  });

  it('answers a connection lost after the request as an unknown outcome (timeout)', async () => {
    const result = await newAdapter().send(request(FAKE_NUMBERS.reset));
    expect(result).toMatchObject({ accepted: false, category: 'timeout', code: 'CONNECTION_LOST' });
    expect(fake.messages).toHaveLength(1);
  });

  it("drops the request when Salvo's timeout fires", async () => {
    const result = await sendWithTimeout(newAdapter(), request(FAKE_NUMBERS.hang), 200);
    expect(result).toMatchObject({ category: 'timeout', code: 'TIMEOUT' });
    await waitFor(() => fake.hangingOpen === 0);
    expect(fake.messages).toHaveLength(1);
  });

  it('keeps at most TWILIO_MAX_CONCURRENCY requests in flight, one place kept for lookups', async () => {
    fake.delayAll(100);
    const adapter = newAdapter({ maxConcurrency: 3 });
    const results = await Promise.all(Array.from({ length: 6 }, () => adapter.send(request())));
    expect(results.every((result) => result.accepted)).toBe(true);
    expect(fake.maxInFlight).toBe(2);
  });

  it('under load, a send that waits too long for a place is not sent and retried: never in doubt, each sent once', async () => {
    // 40 messages, 2 places for sends, 150 ms per answer, Salvo's timeout 2 s: most wait far
    // longer than half of it (the bound on waiting for a place), and one that got its place in
    // time has a second for a 150 ms answer, however busy the machine running the test.
    fake.delayAll(150);
    const adapter = newAdapter({ maxConcurrency: 3 }, 2000);
    const messages = Array.from({ length: 40 }, () => request());
    const answers: string[] = [];
    await Promise.all(
      messages.map(async (message) => {
        for (;;) {
          const result = await callProvider(adapter, message, {
            timeoutMs: 2000,
            reclaimed: false,
            lookups: alone,
          });
          answers.push(result.accepted ? 'accepted' : result.code);
          if (result.accepted) return;
          expect(result).toMatchObject({
            category: 'rate_limited',
            code: 'TWILIO_CONCURRENCY_LIMIT',
          });
          expect(result).not.toHaveProperty('resolution');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }),
    );
    expect(answers).toContain('TWILIO_CONCURRENCY_LIMIT');
    expect(answers.filter((a) => a === 'accepted')).toHaveLength(40);
    expect(messages.map((m) => fake.count(m.to, m.body))).toEqual(messages.map(() => 1));
    expect(fake.maxInFlight).toBe(2);
  });

  it('a lookup never queues behind sends', async () => {
    fake.delayAll(100);
    const adapter = newAdapter({ maxConcurrency: 2 }, 5_000);
    const message = request();
    await adapter.send(message);
    const sends = Array.from({ length: 20 }, () => adapter.send(request()));
    const started = Date.now();
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      resolution: { outcome: 'adopted' },
    });
    // Twenty sends through one place take two seconds; the lookup took its own.
    expect(Date.now() - started).toBeLessThan(500);
    await Promise.all(sends);
  });
});

describe('TwilioSmsProvider.resolve', () => {
  it('adopts the one message Twilio created for a call that got no answer: no second SMS', async () => {
    const adapter = newAdapter({ lookupDelayMs: 100 });
    const message = request(FAKE_NUMBERS.hang);
    const started = Date.now();
    const result = await callProvider(adapter, message, {
      timeoutMs: 200,
      reclaimed: false,
      lookups: alone,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result).toEqual({
      accepted: true,
      providerMessageId: fake.messages[0].sid,
      resolution: { method: 'lookup', outcome: 'adopted', detail: expect.any(String) as string },
    });
    expect(fake.count(message.to, message.body)).toBe(1);
  });

  it('sends a message Twilio never created (resent), once', async () => {
    const message = request();
    const result = await newAdapter().resolve(message, alone);
    expect(result).toMatchObject({ accepted: true, resolution: { outcome: 'resent' } });
    expect(fake.count(message.to, message.body)).toBe(1);
  });

  it('does not resend when the claim may have run out during the lookup: the next claim resolves it', async () => {
    const message = request();
    let asked = 0;
    const lapsed: ResolveContext = {
      ...alone,
      held: () => {
        asked++;
        return Promise.resolve(false);
      },
    };
    await expect(newAdapter().resolve(message, lapsed)).resolves.toMatchObject({
      accepted: false,
      code: 'OUTCOME_UNKNOWN',
      message: CLAIM_LAPSED,
    });
    expect(asked).toBe(1);
    expect(fake.count(message.to, message.body)).toBe(0);
  });

  it('finds a message Twilio still queues (no date_sent yet) and adopts it', async () => {
    const adapter = newAdapter();
    const message = request();
    await adapter.send(message);
    expect(fake.messages[0]).toMatchObject({ status: 'queued', dateSent: null });
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      accepted: true,
      providerMessageId: fake.messages[0].sid,
      resolution: { outcome: 'adopted' },
    });
    expect(fake.count(message.to, message.body)).toBe(1);
  });

  it('leaves out messages with the same text created before `since`: they are not this one', async () => {
    const adapter = newAdapter();
    const message = request();
    seed(message.to, 5, new Date(message.since.getTime() - 3_600_000), message.body);
    await adapter.send(message);
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      accepted: true,
      providerMessageId: fake.messages[5].sid,
      resolution: { outcome: 'adopted' },
    });
  });

  it('never adopts a message another lookup reserved at the same moment: OUTCOME_UNKNOWN', async () => {
    const adapter = newAdapter();
    const message = request();
    await adapter.send(message);
    const asked: string[] = [];
    const lost: ResolveContext = {
      taken: nobodyElse,
      held: () => Promise.resolve(true),
      adopt: (sid) => {
        asked.push(sid);
        return Promise.resolve(false);
      },
    };
    await expect(adapter.resolve(message, lost)).resolves.toMatchObject({
      accepted: false,
      code: 'OUTCOME_UNKNOWN',
      resolution: { method: 'lookup', outcome: 'ambiguous' },
    });
    expect(asked).toEqual([fake.messages[0].sid]);
    expect(fake.count(message.to, message.body)).toBe(1);
  });

  it('a match whose creation date cannot be read is a doubt: never adopted, alone or not', async () => {
    const adapter = newAdapter();
    const message = request();
    seed(message.to, 1, new Date(NaN), message.body);
    const adopt = jest.fn(granted);
    await expect(adapter.resolve(message, { ...alone, adopt })).resolves.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      resolution: { outcome: 'ambiguous' },
    });
    await adapter.send(message);
    await expect(adapter.resolve(message, { ...alone, adopt })).resolves.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      resolution: { outcome: 'ambiguous' },
    });
    expect(adopt).not.toHaveBeenCalled();
    expect(fake.count(message.to, message.body)).toBe(2);
  });

  it('answers OUTCOME_UNKNOWN (ambiguous) for several matches, sending nothing', async () => {
    const adapter = newAdapter();
    const message = request();
    await adapter.send(message);
    await adapter.send({ ...message, messageId: randomUUID() });
    const result = await adapter.resolve(message, alone);
    expect(result).toMatchObject({
      accepted: false,
      category: 'unknown',
      code: 'OUTCOME_UNKNOWN',
      resolution: { method: 'lookup', outcome: 'ambiguous' },
    });
    expect(fake.count(message.to, message.body)).toBe(2);
  });

  it('never adopts a message another message holds', async () => {
    const adapter = newAdapter();
    const message = request();
    await adapter.send(message);
    await adapter.send(message);
    const [theirs, ours] = fake.messages.map((m) => m.sid);
    const asked: string[][] = [];
    const taken = (ids: readonly string[]) => {
      asked.push([...ids]);
      return Promise.resolve(new Set([theirs]));
    };
    await expect(adapter.resolve(message, { ...alone, taken })).resolves.toMatchObject({
      accepted: true,
      providerMessageId: ours,
      resolution: { outcome: 'adopted' },
    });
    expect(asked).toEqual([[ours, theirs]]);
    // Every match held by others: this message was never created, so it is sent.
    const all = () => Promise.resolve(new Set(fake.messages.map((m) => m.sid)));
    await expect(adapter.resolve(message, { ...alone, taken: all })).resolves.toMatchObject({
      accepted: true,
      resolution: { outcome: 'resent' },
    });
    expect(fake.count(message.to, message.body)).toBe(3);
  });

  it('ignores messages created before `since` and other texts', async () => {
    const adapter = newAdapter();
    const message = request();
    await adapter.send(message);
    await adapter.send({ ...message, body: `${message.body}!` });
    const later = { ...message, since: new Date(Date.now() + 60_000) };
    await expect(adapter.resolve(later, alone)).resolves.toMatchObject({
      resolution: { outcome: 'resent' },
    });
  });

  it("with a Messaging Service, matches only the service's messages", async () => {
    const adapter = newAdapter({ from: null, messagingServiceSid: SERVICE });
    const message = request();
    await newAdapter({ from: null, messagingServiceSid: 'MG' + 'd'.repeat(32) }).send(message);
    await newAdapter().send(message);
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      resolution: { outcome: 'resent' },
    });
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      accepted: true,
      providerMessageId: fake.messages[2].sid,
      resolution: { outcome: 'adopted' },
    });
  });

  it('follows next_page_uri, and stops as inconclusive past its pages (OUTCOME_UNKNOWN)', async () => {
    const adapter = newAdapter();
    const message = request();
    await adapter.send(message);
    seed(message.to, 150);
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      accepted: true,
      providerMessageId: fake.messages[0].sid,
    });
    seed(message.to, 1000);
    await expect(adapter.resolve(message, alone)).resolves.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      resolution: { outcome: 'inconclusive' },
    });
    expect(fake.count(message.to, message.body)).toBe(1);
  });

  it('a lookup Twilio refuses leaves the outcome unknown: OUTCOME_UNKNOWN, nothing sent', async () => {
    const message = request();
    fake.refuseAuth();
    const result = await callProvider(newAdapter(), message, {
      timeoutMs: 500,
      reclaimed: true,
      lookups: alone,
    });
    expect(result).toMatchObject({
      category: 'unknown',
      code: 'OUTCOME_UNKNOWN',
      resolution: { outcome: 'failed' },
    });
    expect(fake.creates).toBe(0);
  });
});

/** `count` messages to `to` (other texts unless `body`), created `at` (now). */
function seed(to: string, count: number, at = new Date(), body?: string): void {
  for (let i = 0; i < count; i++) {
    fake.messages.push({
      sid: `SM${randomUUID().replace(/-/g, '')}`,
      to,
      from: FROM,
      messagingServiceSid: null,
      body: body ?? `other ${i}`,
      status: 'delivered',
      dateCreated: at,
      dateSent: at,
      statusCallback: null,
      validityPeriod: null,
    });
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(condition: () => boolean, withinMs = 2000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('The condition did not hold in time.');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The fake Twilio's callbacks, as end-to-end tests rely on them: signed as Twilio signs, in the
// orders it can be told to use, and harmless when Salvo cannot be reached.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest } from 'twilio';
import { smsConfig } from '../../src/config/configuration';
import type { SendRequest } from '../../src/sms/sms-provider';
import { TwilioSmsProvider } from '../../src/sms/twilio/twilio-sms-provider';
import { FakeTwilio } from '../support/fake-twilio';

interface Received {
  path: string;
  params: Record<string, string>;
  signed: boolean;
}

let fake: FakeTwilio;
let salvo: Server;
let received: Received[];
let base: string;

beforeEach(async () => {
  fake = new FakeTwilio();
  await fake.start();
  received = [];
  salvo = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(text));
      const url = `${base}${req.url}`;
      const header = String(req.headers['x-twilio-signature'] ?? '');
      received.push({
        path: req.url ?? '',
        params,
        signed: validateRequest(fake.authToken, header, url, params),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => salvo.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(salvo.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await fake.close();
  await new Promise((resolve) => salvo.close(resolve));
});

function adapter(publicBaseUrl = base) {
  const settings = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: '+15005550006',
    messagingServiceSid: null,
    apiBaseUrl: fake.baseUrl,
    maxConcurrency: 10,
    lookupDelayMs: 0,
    publicBaseUrl,
  };
  return new TwilioSmsProvider({ settings }, { ...smsConfig(), timeoutMs: 2000 });
}

function request(to = '+12015550100'): SendRequest {
  const id = randomUUID();
  return {
    messageId: id,
    idempotencyKey: id,
    to,
    body: `Hi ${id}`,
    attempt: 1,
    since: new Date(),
    validUntil: new Date(Date.now() + 60_000),
  };
}

const statuses = () => received.map((r) => r.params.MessageStatus);

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for callbacks.');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the fake Twilio', () => {
  it("posts a status callback to the message's StatusCallback, signed with the auth token", async () => {
    const sent = await adapter().send(request());
    if (!sent.accepted) throw new Error('expected an acceptance');
    const posted = await fake.callback(sent.providerMessageId, 'undelivered', {
      errorCode: '30003',
    });
    expect(posted.answer).toBe(200);
    expect(received).toEqual([
      {
        path: '/webhooks/twilio/status',
        signed: true,
        params: expect.objectContaining({
          MessageSid: sent.providerMessageId,
          SmsSid: sent.providerMessageId,
          MessageStatus: 'undelivered',
          SmsStatus: 'undelivered',
          ErrorCode: '30003',
          AccountSid: fake.accountSid,
          To: '+12015550100',
          From: '+15005550006',
          ApiVersion: '2010-04-01',
        }) as Record<string, string>,
      },
    ]);
  });

  it.each<[string, Parameters<FakeTwilio['autoCallbacks']>[0], string[]]>([
    ['in order', {}, ['sent', 'delivered']],
    ['out of order', { outOfOrder: true }, ['delivered', 'sent']],
    ['duplicated', { duplicate: true }, ['sent', 'sent', 'delivered', 'delivered']],
    ['undelivered', { undelivered: { '+12015550100': '30003' } }, ['sent', 'undelivered']],
  ])('sends callbacks by itself after each acceptance: %s', async (_case, options, expected) => {
    fake.autoCallbacks(options);
    await adapter().send(request());
    await until(() => received.length === expected.length);
    expect(statuses()).toEqual(expected);
    expect(received.every((r) => r.signed)).toBe(true);
  });

  it('can call back before the create call is answered', async () => {
    fake.autoCallbacks({ beforeAnswer: true });
    await adapter().send(request());
    expect(statuses()).toEqual(['sent', 'delivered']);
  });

  it('posts signed inbound messages', async () => {
    const posted = await fake.inbound(`${base}/webhooks/twilio/inbound`, {
      from: '+12015550100',
      to: '+15005550006',
      body: 'STOP',
    });
    expect(posted.answer).toBe(200);
    expect(received[0]).toMatchObject({
      path: '/webhooks/twilio/inbound',
      signed: true,
      params: { From: '+12015550100', To: '+15005550006', Body: 'STOP' },
    });
  });

  it('records a callback Salvo could not take, and carries on', async () => {
    fake.autoCallbacks({});
    const nowhere = 'http://127.0.0.1:1';
    await expect(adapter(nowhere).send(request())).resolves.toMatchObject({ accepted: true });
    await until(
      () => fake.callbacks.length === 2 && fake.callbacks.every((c) => c.answer !== 'pending'),
    );
    expect(fake.callbacks.map((c) => typeof c.answer)).toEqual(['string', 'string']);
    await expect(adapter().send(request())).resolves.toMatchObject({ accepted: true });
    await until(() => received.length === 2);
  });
});

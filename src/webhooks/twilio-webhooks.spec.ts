// Twilio's webhooks in one process with fakes for the throttle, the inbound store and the receipt
// recorder: the order of the checks, what each refusal answers, and what a signed call reaches.
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { proxyConfig, twilioConfig } from '../config/configuration';
import { ErrorsModule } from '../errors/errors.module';
import {
  INBOUND_RECORDER,
  RECEIPT_RECORDER,
  type InboundSms,
  type ProviderReceipt,
} from '../sms/receipts';
import { ThrottleService, type CredentialCheck } from '../security/throttling/throttle.service';
import { EMPTY_TWIML, TwilioWebhooksController } from './twilio-webhooks.controller';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksService } from './twilio-webhooks.service';

const TOKEN = 'test-auth-token';
const BASE = 'https://salvo.example.com/prefix';
const SID = 'SM0123456789abcdef0123456789abcdef';

/** The throttle's bookkeeping as the webhooks use it: a point per call, kept on failure. */
class FakeThrottle {
  failures = 0;
  released = 0;
  constructor(private readonly limit: number) {}

  webhookAttempt(): Promise<CredentialCheck> {
    if (this.failures >= this.limit) {
      return Promise.resolve({
        refused: {
          headers: { 'Retry-After': '42' },
          refusal: { policy: 'webhook-signature-failures', retryAfterSeconds: 42, message: 'x' },
        },
        release: () => Promise.resolve(),
        failed: () => ({ headers: {} }),
      });
    }
    return Promise.resolve({
      release: () => {
        this.released++;
        return Promise.resolve();
      },
      failed: () => {
        this.failures++;
        return { headers: {} };
      },
    });
  }
}

interface Harness {
  app: INestApplication;
  throttle: FakeThrottle;
  stored: InboundSms[];
  recorded: ProviderReceipt[];
  recorder: { fail: boolean };
}

async function start({ configured = true, limit = 3 } = {}): Promise<Harness> {
  const throttle = new FakeThrottle(limit);
  const stored: InboundSms[] = [];
  const recorded: ProviderReceipt[] = [];
  const recorder = { fail: false };
  const seen = new Set<string>();
  const module = await Test.createTestingModule({
    imports: [ErrorsModule],
    controllers: [TwilioWebhooksController],
    providers: [
      TwilioSignatureGuard,
      TwilioWebhooksService,
      {
        provide: twilioConfig.KEY,
        useValue: { settings: configured ? { authToken: TOKEN, publicBaseUrl: BASE } : null },
      },
      { provide: proxyConfig.KEY, useValue: { trustProxy: 0 } },
      { provide: ThrottleService, useValue: throttle },
      {
        provide: INBOUND_RECORDER,
        useValue: {
          store: (sms: InboundSms) => {
            if (seen.has(sms.providerMessageId)) return Promise.resolve(false);
            seen.add(sms.providerMessageId);
            stored.push(sms);
            return Promise.resolve(true);
          },
        },
      },
      {
        provide: RECEIPT_RECORDER,
        useValue: {
          record: async (receipts: ProviderReceipt[]) => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            if (recorder.fail) throw new Error('the database is gone');
            recorded.push(...receipts);
          },
        },
      },
    ],
  }).compile();
  const app = module.createNestApplication({ bodyParser: false, logger: false });
  await app.init();
  return { app, throttle, stored, recorded, recorder };
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

function signed(path: string, params: Record<string, string>, url = `${BASE}${path}`) {
  return getExpectedTwilioSignature(TOKEN, url, params);
}

function post(h: Harness, path: string, params: Record<string, string>, signature?: string) {
  let req = request(h.app.getHttpServer())
    .post(path)
    .set('Content-Type', 'application/x-www-form-urlencoded');
  if (signature !== undefined) req = req.set('X-Twilio-Signature', signature);
  return req.send(form(params));
}

describe('Twilio webhooks', () => {
  let h: Harness;
  beforeEach(async () => (h = await start()));
  afterEach(() => h.app.close());

  const delivered = { MessageSid: SID, MessageStatus: 'delivered', AccountSid: 'AC1' };
  const inbound = { MessageSid: SID, From: '+12025550100', To: '+15005550006', Body: 'STOP' };

  it('records a signed status callback before answering 200', async () => {
    const path = '/webhooks/twilio/status';
    const answer = await post(h, path, delivered, signed(path, delivered));
    expect(answer.status).toBe(200);
    expect(h.recorded).toEqual([
      expect.objectContaining({ providerMessageId: SID, status: 'delivered', rank: 3 }),
    ]);
    expect(h.throttle).toMatchObject({ failures: 0, released: 1 });
  });

  it('answers 503 when the receipt cannot be recorded', async () => {
    h.recorder.fail = true;
    const path = '/webhooks/twilio/status';
    const answer = await post(h, path, delivered, signed(path, delivered));
    expect(answer.status).toBe(503);
    expect(answer.body.error).toBe('SERVICE_UNAVAILABLE');
  });

  it('records a receipt whose ErrorMessage is long, cut to 500 characters', async () => {
    const path = '/webhooks/twilio/status';
    const failed = {
      MessageSid: SID,
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
      ErrorMessage: 'x'.repeat(5000),
    };
    expect((await post(h, path, failed, signed(path, failed))).status).toBe(200);
    expect(h.recorded).toHaveLength(1);
    expect(JSON.stringify(h.recorded[0])).toContain('x'.repeat(500));
    expect(JSON.stringify(h.recorded[0])).not.toContain('x'.repeat(501));
  });

  it('acknowledges a status that says nothing about delivery, recording nothing', async () => {
    const path = '/webhooks/twilio/status';
    const canceled = { MessageSid: SID, MessageStatus: 'canceled' };
    expect((await post(h, path, canceled, signed(path, canceled))).status).toBe(200);
    expect(h.recorded).toEqual([]);
  });

  it('stores a signed inbound SMS once and answers empty TwiML', async () => {
    const path = '/webhooks/twilio/inbound';
    for (let i = 0; i < 2; i++) {
      const answer = await post(h, path, inbound, signed(path, inbound));
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/xml/);
      expect(answer.text).toBe(EMPTY_TWIML);
    }
    expect(h.stored).toEqual([
      expect.objectContaining({ provider: 'twilio', providerMessageId: SID, body: 'STOP' }),
    ]);
  });

  it.each<[string, (params: Record<string, string>) => string | undefined]>([
    ['missing', () => undefined],
    [
      'made with another token',
      (p) => getExpectedTwilioSignature('other', `${BASE}/webhooks/twilio/inbound`, p),
    ],
    ['over another URL', (p) => signed('/webhooks/twilio/status', p)],
    [
      'over the Host header rather than PUBLIC_BASE_URL',
      (p) => getExpectedTwilioSignature(TOKEN, 'http://127.0.0.1/webhooks/twilio/inbound', p),
    ],
    ['over fewer parameters', ({ Body: _, ...rest }) => signed('/webhooks/twilio/inbound', rest)],
  ])('refuses a signature %s with 403, storing nothing', async (_name, sign) => {
    const answer = await post(h, '/webhooks/twilio/inbound', inbound, sign(inbound));
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe('FORBIDDEN');
    expect(h.stored).toEqual([]);
    expect(h.throttle.failures).toBe(1);
  });

  it('signs over the query string as received', async () => {
    const path = '/webhooks/twilio/inbound?tenant=a%20b&x=1';
    expect((await post(h, path, inbound, signed(path, inbound))).status).toBe(200);
    const other = await post(
      h,
      '/webhooks/twilio/inbound?tenant=c',
      inbound,
      signed(path, inbound),
    );
    expect(other.status).toBe(403);
  });

  it('checks the signature before the fields: an unsigned empty body is a 403, a signed one a 400 naming them', async () => {
    const path = '/webhooks/twilio/inbound';
    expect((await post(h, path, {})).status).toBe(403);
    const answer = await post(h, path, { Body: 'x' }, signed(path, { Body: 'x' }));
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d: { path: string }) => d.path)).toEqual([
      'MessageSid',
      'From',
      'To',
    ]);
  });

  it('refuses signed fields out of bounds, naming them', async () => {
    const path = '/webhooks/twilio/status';
    const params = { MessageSid: 'x'.repeat(65), MessageStatus: 'delivered<script>' };
    const answer = await post(h, path, params, signed(path, params));
    expect(answer.status).toBe(400);
    expect(answer.body.details.map((d: { path: string }) => d.path)).toEqual([
      'MessageSid',
      'MessageStatus',
    ]);
    expect(h.recorded).toEqual([]);
  });

  it('refuses a field given twice, signed over both values', async () => {
    const path = '/webhooks/twilio/inbound';
    const body = `${form(inbound)}&From=%2B12025550199`;
    const signature = getExpectedTwilioSignature(TOKEN, `${BASE}${path}`, {
      ...inbound,
      From: ['+12025550100', '+12025550199'],
    });
    const answer = await request(h.app.getHttpServer())
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', signature)
      .send(body);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.body.details).toEqual([{ path: 'From', message: 'is given more than once' }]);
  });

  it('answers 415 to another content type and 413 to a body over 64 kB, counting them', async () => {
    const path = '/webhooks/twilio/inbound';
    const json = await request(h.app.getHttpServer())
      .post(path)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(inbound));
    expect(json.status).toBe(415);
    const latin1 = await request(h.app.getHttpServer())
      .post(path)
      .set('Content-Type', 'application/x-www-form-urlencoded; charset=latin1')
      .send(form(inbound));
    expect(latin1.status).toBe(415);
    const big = { ...inbound, Body: 'x'.repeat(70_000) };
    const large = await post(h, path, big, signed(path, big));
    expect(large.status).toBe(413);
    expect(h.stored).toEqual([]);
    expect(h.throttle.failures).toBe(3);
  });

  it('refuses an address past its limit with 429, unless the call is small and validly signed', async () => {
    const path = '/webhooks/twilio/inbound';
    for (let i = 0; i < 3; i++) expect((await post(h, path, inbound, 'forged')).status).toBe(403);
    // A signature of no HMAC's shape, or of the right shape but wrong: refused as locked.
    for (const signature of ['forged', signed(path, { ...inbound, Body: 'other' })]) {
      const answer = await post(h, path, inbound, signature);
      expect(answer.status).toBe(429);
      expect(answer.headers['retry-after']).toBe('42');
    }
    // Over the locked size (4 kB), even validly signed: not read.
    const big = { ...inbound, Body: 'x'.repeat(4_100) };
    expect((await post(h, path, big, signed(path, big))).status).toBe(429);
    expect(h.stored).toEqual([]);
    // Twilio's own callbacks come from addresses every Twilio account shares: a genuine one passes.
    expect((await post(h, path, inbound, signed(path, inbound))).status).toBe(200);
    expect(h.stored).toHaveLength(1);
  });
});

describe('Twilio webhooks without Twilio configured', () => {
  it('answer 404 as an unknown route, whatever is sent', async () => {
    const h = await start({ configured: false });
    try {
      const answer = await post(h, '/webhooks/twilio/status', { MessageSid: SID }, 'x');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({
        error: 'NOT_FOUND',
        message: 'Cannot POST /webhooks/twilio/status.',
      });
      expect(h.throttle.failures).toBe(0);
    } finally {
      await h.app.close();
    }
  });
});

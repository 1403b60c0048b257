// Twilio's webhooks on the built service, configured for Twilio behind a proxy that strips a path
// prefix: signatures are checked against PUBLIC_BASE_URL, forged calls change nothing and lock
// their address, inbound SMS are stored once, bodies are bounded.
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { useIsolatedApp } from './support/api';
import { query } from './support/database';

const TOKEN = 'e2e-twilio-auth-token-0123456789';
/** Where Twilio reaches Salvo: a proxy that forwards /sms-gateway/* to the service's /*. */
const PUBLIC_BASE_URL = 'https://salvo.example.com/sms-gateway';
const FAILURES_PER_MINUTE = 5;
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const INBOUND = '/webhooks/twilio/inbound';
const STATUS = '/webhooks/twilio/status';

let address = 0;
/** A client address of its own per test (TRUST_PROXY=1), so no test trips another's throttle. */
const freshAddress = () => `198.51.100.${++address}`;

describe('Twilio webhooks (POST /webhooks/twilio/status and /inbound)', () => {
  const service = useIsolatedApp('twilio-webhooks', {
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: TOKEN,
    TWILIO_FROM: '+15005550006',
    PUBLIC_BASE_URL,
    TRUST_PROXY: '1',
    AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE),
  });

  let sid = 0;
  const nextSid = () => `SM${String(++sid).padStart(32, '0')}`;
  const inboundParams = (overrides: Record<string, string> = {}) => ({
    MessageSid: nextSid(),
    AccountSid: `AC${'0'.repeat(32)}`,
    From: '+12025550100',
    To: '+15005550006',
    Body: 'STOP please',
    NumMedia: '0',
    ...overrides,
  });

  /** Twilio's signature over PUBLIC_BASE_URL + path (with its query) and the parameters. */
  const sign = (path: string, params: Record<string, string | string[]>, base = PUBLIC_BASE_URL) =>
    getExpectedTwilioSignature(TOKEN, `${base}${path}`, params);

  function post(
    path: string,
    params: Record<string, string>,
    { signature, from = freshAddress() }: { signature?: string; from?: string } = {},
  ) {
    const req = request(service.app.url)
      .post(path)
      .set('X-Forwarded-For', from)
      .set('Content-Type', 'application/x-www-form-urlencoded');
    if (signature !== undefined) req.set('X-Twilio-Signature', signature);
    return req.send(new URLSearchParams(params).toString());
  }

  const stored = () =>
    query<{ provider_message_id: string; from_number: string; to_number: string; body: string }>(
      service.databaseUrl,
      `SELECT provider, provider_message_id, from_number, to_number, body FROM inbound_messages
       ORDER BY received_at`,
    );
  const storedIds = async () => (await stored()).map((row) => row.provider_message_id);

  it('stores a signed inbound SMS once when Twilio posts it twice, answering empty TwiML', async () => {
    const params = inboundParams();
    for (let i = 0; i < 2; i++) {
      const answer = await post(INBOUND, params, { signature: sign(INBOUND, params) });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/xml/);
      expect(answer.text).toBe(EMPTY_TWIML);
    }
    expect(await stored()).toEqual([
      {
        provider: 'twilio',
        provider_message_id: params.MessageSid,
        from_number: '+12025550100',
        to_number: '+15005550006',
        body: 'STOP please',
      },
    ]);
  });

  it('checks the query string as received, behind the proxy prefix of PUBLIC_BASE_URL', async () => {
    const path = `${INBOUND}?tenant=acme&note=a%20b`;
    const params = inboundParams();
    const answer = await post(path, params, { signature: sign(path, params) });
    expect(answer.status).toBe(200);
    expect(await storedIds()).toContain(params.MessageSid);
  });

  it.each<[string, (path: string, params: Record<string, string>) => string | undefined]>([
    ['no signature', () => undefined],
    ['a forged signature', () => 'bm90IGEgc2lnbmF0dXJlIGF0IGFsbA=='],
    [
      'one made with another auth token',
      (path, params) =>
        getExpectedTwilioSignature('another-token', `${PUBLIC_BASE_URL}${path}`, params),
    ],
    [
      'one over the address the service sees (no proxy prefix)',
      (path, params) => sign(path, params, 'https://salvo.example.com'),
    ],
    ['one over the Host header', (path, params) => sign(path, params, service.app.url)],
    ['one over another route', (_path, params) => sign(STATUS, params)],
    ['one over another query string', (path, params) => sign(`${path}?tenant=other`, params)],
    [
      'one over fewer parameters (an extra one was added)',
      (path, { NumMedia: _, ...params }) => sign(path, params),
    ],
    ['one over another body', (path, params) => sign(path, { ...params, Body: 'START' })],
  ])('refuses an inbound SMS with %s: 403, nothing stored', async (_name, signature) => {
    const path = `${INBOUND}?tenant=acme`;
    const params = inboundParams();
    const answer = await post(path, params, { signature: signature(path, params) });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ statusCode: 403, error: 'FORBIDDEN' });
    expect(answer.text).not.toContain(TOKEN);
    expect(await storedIds()).not.toContain(params.MessageSid);
  });

  it('refuses a forged status callback with 403 and records nothing', async () => {
    const params = { MessageSid: nextSid(), MessageStatus: 'delivered' };
    const answer = await post(STATUS, params, { signature: sign(INBOUND, params) });
    expect(answer.status).toBe(403);
    const receipts = await query(
      service.databaseUrl,
      `SELECT 1 FROM pending_receipts WHERE provider_message_id = $1`,
      [params.MessageSid],
    );
    expect(receipts).toEqual([]);
  });

  it('answers 413 to a body over 64 kB, signed or not, storing nothing', async () => {
    const params = inboundParams({ Body: 'x'.repeat(70_000) });
    const answer = await post(INBOUND, params, { signature: sign(INBOUND, params) });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('PAYLOAD_TOO_LARGE');
    expect(await storedIds()).not.toContain(params.MessageSid);
  });

  it('answers 415 to a body that is not a form, storing nothing', async () => {
    const params = inboundParams();
    const answer = await request(service.app.url)
      .post(INBOUND)
      .set('X-Forwarded-For', freshAddress())
      .set('X-Twilio-Signature', sign(INBOUND, params))
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(params));
    expect(answer.status).toBe(415);
    expect(answer.body.error).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await storedIds()).not.toContain(params.MessageSid);
  });

  it('answers 400 naming the missing fields of a signed call', async () => {
    const params = { AccountSid: `AC${'0'.repeat(32)}`, Body: 'hi' };
    const answer = await post(INBOUND, params, { signature: sign(INBOUND, params) });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([
      { path: 'MessageSid', message: 'is required' },
      { path: 'From', message: 'is required' },
      { path: 'To', message: 'is required' },
    ]);
  });

  it('locks an address that keeps sending forged signatures (429 with Retry-After), yet lets its validly signed calls through, and no other address', async () => {
    const attacker = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES_PER_MINUTE + 2; i++) {
      statuses.push(
        (await post(INBOUND, inboundParams(), { signature: 'forged', from: attacker })).status,
      );
    }
    expect(statuses).toEqual([...Array<number>(FAILURES_PER_MINUTE).fill(403), 429, 429]);
    const params = inboundParams();
    // Signed, but not by our account (another Twilio customer's call from Twilio's addresses).
    const locked = await post(INBOUND, params, {
      signature: sign(INBOUND, { ...params, Body: 'not what was posted' }),
      from: attacker,
    });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('RATE_LIMITED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(await storedIds()).not.toContain(params.MessageSid);

    // Twilio posts every account's webhooks from shared addresses: our genuine call still passes.
    const genuine = await post(INBOUND, params, {
      signature: sign(INBOUND, params),
      from: attacker,
    });
    expect(genuine.status).toBe(200);
    expect(await storedIds()).toContain(params.MessageSid);

    const other = inboundParams();
    const elsewhere = await post(INBOUND, other, { signature: sign(INBOUND, other) });
    expect(elsewhere.status).toBe(200);
    expect(await storedIds()).toContain(other.MessageSid);
  });

  it('invites a body announced with Expect: 100-continue only past the throttle', async () => {
    /** Posts with Expect; answers whether the body was invited, and the status. */
    const expecting = (params: Record<string, string>, signature: string, from: string) => {
      const body = new URLSearchParams(params).toString();
      const req = httpRequest(new URL(INBOUND, service.app.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          'x-forwarded-for': from,
          'x-twilio-signature': signature,
          expect: '100-continue',
        },
        agent: false,
      });
      let continued = false;
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      return new Promise<{ continued: boolean; status: number }>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve({ continued, status: res.statusCode! });
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    };
    const twilio = freshAddress();
    const params = inboundParams();
    expect(await expecting(params, sign(INBOUND, params), twilio)).toEqual({
      continued: true,
      status: 200,
    });
    const attacker = freshAddress();
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) {
      expect(await expecting(inboundParams(), 'forged', attacker)).toEqual({
        continued: true,
        status: 403,
      });
    }
    expect(await expecting(inboundParams(), 'forged', attacker)).toEqual({
      continued: false,
      status: 429,
    });
  });

  it('gives a valid signature its point back: signed calls from one address are never locked', async () => {
    const twilio = freshAddress();
    for (let i = 0; i < FAILURES_PER_MINUTE + 3; i++) {
      const params = inboundParams();
      expect(
        (await post(INBOUND, params, { signature: sign(INBOUND, params), from: twilio })).status,
      ).toBe(200);
    }
  });

  it('stores or refuses odd signed values, never a 5xx', async () => {
    const cases: [string, Record<string, string>, number][] = [
      ['a NUL in the body', inboundParams({ Body: 'a\u0000b' }), 200],
      ['a lone surrogate', inboundParams({ Body: '\ud800 x' }), 200],
      [
        'parameters named __proto__ and constructor',
        inboundParams({ __proto__: 'x', constructor: 'y' }),
        200,
      ],
      ['a body over 4096 characters', inboundParams({ Body: 'é'.repeat(5000) }), 400],
      ['a MessageSid with a slash', inboundParams({ MessageSid: 'SM../../etc' }), 400],
    ];
    const answers: string[] = [];
    for (const [name, params, expected] of cases) {
      // Built entry by entry: a literal `__proto__` key would set the prototype instead.
      const own = Object.fromEntries(Object.entries(params));
      if (name.includes('__proto__'))
        Object.defineProperty(own, '__proto__', { value: 'x', enumerable: true });
      const answer = await post(INBOUND, own, { signature: sign(INBOUND, own) });
      if (answer.status !== expected)
        answers.push(`${name}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    expect(answers).toEqual([]);
    const [nul] = await query<{ body: string }>(
      service.databaseUrl,
      `SELECT body FROM inbound_messages WHERE provider_message_id = $1`,
      [cases[0][1].MessageSid],
    );
    expect(nul.body).toBe('a\ufffdb');
  });

  it('refuses thousands of parameters under 64 kB before checking any signature (413), and a repeated field after it (400)', async () => {
    const post = (params: Record<string, string | string[]>) => {
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries(params)) {
        for (const one of [value].flat()) body.append(name, one);
      }
      return request(service.app.url)
        .post(INBOUND)
        .set('X-Forwarded-For', freshAddress())
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .set('X-Twilio-Signature', sign(INBOUND, params))
        .send(body.toString());
    };
    const params = inboundParams();
    const flood = await post({ ...params, From: [params.From, ...Array<string>(8000).fill('x')] });
    expect(flood.status).toBe(413);
    expect(flood.body.message).toMatch(/more than 200 parameters/);
    const twice = await post({ ...params, From: [params.From, 'x'] });
    expect(twice.status).toBe(400);
    expect(twice.body.details).toEqual([{ path: 'From', message: 'is given more than once' }]);
  });

  it('leaves the API and its keys alone: a webhook is no way in', async () => {
    const answer = await request(service.app.url).get('/api/batch').set('X-Twilio-Signature', 'x');
    expect(answer.status).toBe(401);
  });

  it('records a signed status callback before answering 200 (an unknown MessageSid is kept for its send result)', async () => {
    const params = {
      MessageSid: nextSid(),
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
      AccountSid: `AC${'0'.repeat(32)}`,
    };
    const answer = await post(STATUS, params, { signature: sign(STATUS, params) });
    expect(answer.status).toBe(200);
    const kept = await query(
      service.databaseUrl,
      `SELECT status, error_code FROM pending_receipts WHERE provider_message_id = $1`,
      [params.MessageSid],
    );
    expect(kept).toEqual([{ status: 'undelivered', error_code: '30003' }]);
  });
});

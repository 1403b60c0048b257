// A fake Twilio on loopback for tests: the Messages API (create and list) with Basic auth, numbers
// scripted after Twilio's test numbers, global fault switches, and signed status callbacks and
// inbound messages posted to Salvo. It records every message it created, so tests count SMS here.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getExpectedTwilioSignature } = require('twilio/lib/webhooks/webhooks') as {
  getExpectedTwilioSignature(token: string, url: string, params: Record<string, string>): string;
};

/** Numbers the fake answers in a fixed way; any other number is accepted at once. */
export const FAKE_NUMBERS = {
  invalid: '+15005550001', // 400 21211
  optedOut: '+15005550004', // 400 21610
  notMobile: '+15005550009', // 400 21614
  contentRejected: '+15005550010', // 400 30007
  serverError: '+15005550011', // 500 20500
  rateLimited: '+15005550012', // 429 20429 with Retry-After: 1
  rateLimitedBare: '+15005550013', // 429 20429 without Retry-After
  hang: '+15005550014', // creates the message, never answers
  slow: '+15005550015', // creates the message, answers after `slowMs`
  reset: '+15005550016', // creates the message, then drops the connection without an answer
} as const;

const REFUSALS: Record<string, [number, number, string, Record<string, string>?]> = {
  [FAKE_NUMBERS.invalid]: [400, 21211, "The 'To' number is not a valid phone number."],
  [FAKE_NUMBERS.optedOut]: [400, 21610, 'Attempt to send to unsubscribed recipient'],
  [FAKE_NUMBERS.notMobile]: [400, 21614, "'To' number is not a valid mobile number"],
  [FAKE_NUMBERS.contentRejected]: [400, 30007, 'Message filtered'],
  [FAKE_NUMBERS.serverError]: [500, 20500, 'Internal Server Error'],
  [FAKE_NUMBERS.rateLimited]: [429, 20429, 'Too Many Requests', { 'retry-after': '1' }],
  [FAKE_NUMBERS.rateLimitedBare]: [429, 20429, 'Too Many Requests'],
};

export interface FakeMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  status: string;
  dateCreated: Date;
  /** Null until the message is `sent`, as Twilio's date_sent. */
  dateSent: Date | null;
  statusCallback: string | null;
  validityPeriod: number | null;
}

/** What automatic callbacks do after each acceptance (off until `autoCallbacks` is called). */
export interface AutoCallbacks {
  delayMs?: number;
  /** The final status per number (e.g. undelivered with 30003); every other is delivered. */
  undelivered?: Record<string, string>;
  /** The final status before `sent`. */
  outOfOrder?: boolean;
  /** Every callback twice. */
  duplicate?: boolean;
  /** Post them before the create call is answered (and wait for Salvo's answers first). */
  beforeAnswer?: boolean;
}

export interface PostedCallback {
  url: string;
  params: Record<string, string>;
  /** Salvo's HTTP status, or the error that stopped the POST. */
  answer: number | string;
  /** How long Salvo took to answer, in ms. */
  ms?: number;
}

export class FakeTwilio {
  readonly accountSid = 'AC' + 'f'.repeat(32);
  readonly messages: FakeMessage[] = [];
  readonly callbacks: PostedCallback[] = [];
  /** Create calls received, answered or not. */
  creates = 0;
  /** Requests being handled now, and the most at once so far. */
  inFlight = 0;
  maxInFlight = 0;
  /** Errors thrown while handling a request (answered 500); a test may assert there were none. */
  readonly failures: Error[] = [];
  slowMs = 500;
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private readonly switches = { delayMs: 0, refuseAuth: false, stormUntil: 0, errorsUntil: 0 };
  private storm: { retryAfterS?: number } = {};
  private auto: AutoCallbacks | null = null;
  private readonly posting = new Set<Promise<void>>();

  constructor(readonly authToken = 'fake-twilio-auth-token') {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      // Never an unhandled rejection: a handler that throws answers 500 and is recorded.
      this.handle(req, res).catch((failure: Error) => {
        this.failures.push(failure);
        if (!res.headersSent) error(res, 500, 20500, 'Internal Server Error');
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this.baseUrl;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    await Promise.allSettled([...this.posting]);
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Create calls that got no answer and whose connection the client still holds open. */
  get hangingOpen(): number {
    return this.hanging.size;
  }

  /** Messages created for `to` (every message when omitted). */
  count(to?: string, body?: string): number {
    return this.messages.filter((m) => (!to || m.to === to) && (!body || m.body === body)).length;
  }

  delayAll(ms: number): void {
    this.switches.delayMs = ms;
  }

  refuseAuth(on = true): void {
    this.switches.refuseAuth = on;
  }

  /** 429 (code 20429) to every create for `ms`, with Retry-After when `retryAfterS` is given. */
  rateLimitFor(ms: number, retryAfterS?: number): void {
    this.switches.stormUntil = Date.now() + ms;
    this.storm = { retryAfterS };
  }

  /** 503 to every create for `ms`. */
  failFor(ms: number): void {
    this.switches.errorsUntil = Date.now() + ms;
  }

  autoCallbacks(options: AutoCallbacks | null = {}): void {
    this.auto = options;
  }

  /** Posts a signed status callback for `sid` to the StatusCallback it was created with. */
  async callback(sid: string, status: string, { errorCode }: { errorCode?: string } = {}) {
    const message = this.messages.find((m) => m.sid === sid);
    if (!message?.statusCallback) throw new Error(`No message ${sid} with a StatusCallback`);
    const params: Record<string, string> = {
      MessageSid: sid,
      MessageStatus: status,
      AccountSid: this.accountSid,
      From: message.from ?? '+15005550006',
      To: message.to,
      SmsSid: sid,
      SmsStatus: status,
      ApiVersion: '2010-04-01',
      ...(errorCode && { ErrorCode: errorCode }),
    };
    message.status = status;
    if (SENT_OR_LATER.has(status)) message.dateSent ??= new Date();
    return this.post(message.statusCallback, params);
  }

  /** Posts a signed inbound SMS (as Twilio does to a number's messaging webhook) to `url`. */
  inbound(url: string, { from, to, body }: { from: string; to: string; body: string }) {
    const sid = newSid();
    const params = {
      MessageSid: sid,
      SmsSid: sid,
      SmsMessageSid: sid,
      AccountSid: this.accountSid,
    };
    return this.post(url, { ...params, From: from, To: to, Body: body, NumMedia: '0' });
  }

  /** A form POST signed like Twilio's (or with `signature` as given); never throws. */
  async post(url: string, params: Record<string, string>, signature?: string) {
    const posted: PostedCallback = { url, params, answer: 'pending' };
    this.callbacks.push(posted);
    const header = signature ?? getExpectedTwilioSignature(this.authToken, url, params);
    const started = performance.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
        headers: { 'x-twilio-signature': header },
        body: new URLSearchParams(params),
      });
      await res.arrayBuffer();
      posted.answer = res.status;
      posted.ms = performance.now() - started;
    } catch (error) {
      posted.answer = (error as Error).message;
    }
    return posted;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.on('close', () => this.inFlight--);
    const url = new URL(req.url ?? '/', this.baseUrl);
    const form = new URLSearchParams(await readBody(req));
    if (this.switches.delayMs) await sleep(this.switches.delayMs);
    const expected =
      'Basic ' + Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64');
    if (this.switches.refuseAuth || req.headers.authorization !== expected) {
      return error(res, 401, 20003, 'Authenticate');
    }
    if (url.pathname !== `/2010-04-01/Accounts/${this.accountSid}/Messages.json`) {
      return error(res, 404, 20404, 'The requested resource was not found');
    }
    if (req.method === 'GET') return this.list(url, res);
    if (req.method !== 'POST') return error(res, 405, 20004, 'Method not allowed');
    this.creates++;
    const [to, body, from, service] = ['To', 'Body', 'From', 'MessagingServiceSid'].map(
      (name) => form.get(name) || null,
    );
    if (!to) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!body) return error(res, 400, 21602, 'Message body is required.');
    if (!from && !service) return error(res, 400, 21603, "A 'From' phone number is required.");
    // Salvo always asks for receipts and bounds the validity (Twilio: 1..36000 seconds); the
    // codes of these two refusals are this fake's, so a test sees the adapter broke its rules.
    const statusCallback = form.get('StatusCallback');
    if (!statusCallback) return error(res, 400, 21609, 'StatusCallback is required by this fake.');
    const validity = form.has('ValidityPeriod') ? Number(form.get('ValidityPeriod')) : null;
    if (validity !== null && !(Number.isInteger(validity) && validity >= 1 && validity <= 36_000)) {
      return error(res, 400, 21620, 'Invalid ValidityPeriod: must be between 1 and 36000.');
    }
    if (Date.now() < this.switches.stormUntil) {
      const retryAfter = this.storm.retryAfterS;
      const headers: Record<string, string> =
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
      return error(res, 429, 20429, 'Too Many Requests', headers);
    }
    if (Date.now() < this.switches.errorsUntil) return error(res, 503, 20503, 'Unavailable');
    const refusal = REFUSALS[to];
    if (refusal) return error(res, ...refusal);
    const message: FakeMessage = {
      sid: newSid(),
      to,
      from,
      messagingServiceSid: service,
      body,
      status: service ? 'accepted' : 'queued',
      dateCreated: new Date(),
      dateSent: null,
      statusCallback,
      validityPeriod: validity,
    };
    this.messages.push(message);
    if (to === FAKE_NUMBERS.hang) {
      this.hanging.add(res);
      return void res.on('close', () => this.hanging.delete(res));
    }
    if (to === FAKE_NUMBERS.reset) return void req.socket.destroy();
    if (to === FAKE_NUMBERS.slow) await sleep(this.slowMs);
    if (this.auto?.beforeAnswer) await this.receipts(message, this.auto);
    else if (this.auto) this.track(this.receipts(message, this.auto));
    send(res, 201, resource(message));
  }

  private list(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const [to, from, after] = [q.get('To'), q.get('From'), q.get('DateSent>')];
    const size = Math.min(1000, Number(q.get('PageSize') ?? 50));
    const page = Number(q.get('Page') ?? 0);
    const all = this.messages
      .filter((m) => (!to || m.to === to) && (!from || m.from === from))
      // Twilio filters on date_sent, which a queued message does not have yet.
      .filter((m) => !after || (!!m.dateSent && m.dateSent.toISOString().slice(0, 10) >= after))
      // Newest first, as Twilio lists (the latest created first within one millisecond).
      .reverse()
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
    const items = all.slice(page * size, (page + 1) * size);
    let next: string | null = null;
    if ((page + 1) * size < all.length) {
      const nextQuery = new URLSearchParams(q);
      nextQuery.set('Page', String(page + 1));
      nextQuery.set('PageToken', `PA${page + 1}`);
      next = `${url.pathname}?${nextQuery.toString()}`;
    }
    send(res, 200, { messages: items.map(resource), page, page_size: size, next_page_uri: next });
  }

  private async receipts(message: FakeMessage, auto: AutoCallbacks): Promise<void> {
    if (auto.delayMs) await sleep(auto.delayMs);
    const code = auto.undelivered?.[message.to];
    const final: [string, string?] = code ? ['undelivered', code] : ['delivered'];
    const steps: [string, string?][] = auto.outOfOrder ? [final, ['sent']] : [['sent'], final];
    for (const [status, errorCode] of steps) {
      for (let i = 0; i < (auto.duplicate ? 2 : 1); i++) {
        await this.callback(message.sid, status, { errorCode });
      }
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.posting.delete(tracked));
    this.posting.add(tracked);
  }
}

function newSid(): string {
  return 'SM' + randomBytes(16).toString('hex');
}

/** Twilio's statuses once the message has left (date_sent set). */
const SENT_OR_LATER = new Set(['sent', 'delivered', 'undelivered', 'read']);

/** Twilio's RFC 2822 dates. */
const rfc2822 = (date: Date) => date.toUTCString().replace('GMT', '+0000');

function resource(m: FakeMessage) {
  return {
    sid: m.sid,
    to: m.to,
    from: m.from,
    body: m.body,
    status: m.status,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent && rfc2822(m.dateSent),
    messaging_service_sid: m.messagingServiceSid,
    num_segments: '1',
    error_code: null,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function error(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const more_info = `https://www.twilio.com/docs/errors/${code}`;
  send(res, status, { code, message, more_info, status }, headers);
}

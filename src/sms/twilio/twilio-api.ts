// Twilio's REST API as the adapter uses it: form-encoded calls with HTTP Basic auth over Node's
// fetch (pooled keep-alive connections), at most TWILIO_MAX_CONCURRENCY in flight per process:
// a tenth of them (at least one) kept for lookups, so a lookup never queues behind sends.
import type { TwilioSettings } from '../../config/configuration';
import { Semaphore } from './semaphore';

/** Twilio's answer: its HTTP status, headers and JSON body (null when it sent none or not JSON). */
export interface TwilioAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Twilio's error body (https://www.twilio.com/docs/usage/twilios-response). */
export interface TwilioErrorBody {
  code?: number | string;
  message?: string;
  more_info?: string;
  status?: number;
}

/** A message as the Messages list shows it (the fields the lookup reads). */
export interface TwilioListedMessage {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  status: string;
  date_created: string;
  messaging_service_sid: string | null;
}

/**
 * Connection failures before a byte of the request went out: the provider cannot have sent the
 * message. Any other failure (reset, closed or aborted after writing) leaves the outcome unknown.
 */
const NOTHING_WRITTEN = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The code of a failed fetch's cause (ECONNREFUSED…) when it proves nothing was sent, else null. */
export function refusedBeforeWriting(error: unknown): string | null {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : null;
  return code !== null && NOTHING_WRITTEN.has(code) ? code : null;
}

/** The places of TWILIO_MAX_CONCURRENCY kept for lookups (at least one; all but one for sends). */
export function lookupSlots(maxConcurrency: number): number {
  return Math.max(1, Math.floor(maxConcurrency / 10));
}

export class TwilioApi {
  private readonly sends: Semaphore;
  private readonly lookups: Semaphore;
  private readonly authorization: string;

  /**
   * `sendSlotWaitMs`: how long a create waits for a place before it is given up unsent
   * (NoSlotError), shorter than Salvo's timeout so a queued send is never taken as in doubt.
   */
  constructor(
    private readonly settings: TwilioSettings,
    private readonly sendSlotWaitMs: number,
  ) {
    const forLookups = lookupSlots(settings.maxConcurrency);
    this.lookups = new Semaphore(forLookups);
    this.sends = new Semaphore(Math.max(1, settings.maxConcurrency - forLookups));
    this.authorization =
      'Basic ' +
      Buffer.from(`${settings.accountSid}:${settings.authToken}`, 'utf8').toString('base64');
  }

  /** The Messages resource's path, to which `next_page_uri` and friends are relative too. */
  get messagesPath(): string {
    return `/2010-04-01/Accounts/${encodeURIComponent(this.settings.accountSid)}/Messages.json`;
  }

  /** Requests now in flight in this process. */
  get running(): number {
    return this.sends.running + this.lookups.running;
  }

  /** Throws NoSlotError, before writing anything, when no place frees within the bound. */
  createMessage(form: URLSearchParams, signal?: AbortSignal): Promise<TwilioAnswer> {
    return this.sends.run(
      () => this.call('POST', this.messagesPath, signal, form),
      signal,
      this.sendSlotWaitMs,
    );
  }

  /** One page of the Messages list: `pathAndQuery` is the first page's, or a `next_page_uri`. */
  listMessages(pathAndQuery: string, signal?: AbortSignal): Promise<TwilioAnswer> {
    return this.lookups.run(() => this.call('GET', pathAndQuery, signal), signal);
  }

  private async call(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    signal: AbortSignal | undefined,
    form?: URLSearchParams,
  ): Promise<TwilioAnswer> {
    const response = await fetch(this.settings.apiBaseUrl + pathAndQuery, {
      method,
      headers: {
        authorization: this.authorization,
        accept: 'application/json',
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form?.toString(),
      // A redirect is never followed: Twilio's API answers none, so one comes from a wrong
      // TWILIO_API_BASE_URL or a proxy, and a POST replayed elsewhere could send an SMS twice.
      redirect: 'manual',
      signal,
    });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a proxy's error page): the status speaks alone.
    }
    return { status: response.status, headers: response.headers, body };
  }
}

// The Twilio adapter (SMS_PROVIDER=twilio; README, "Connecting Twilio"): sends through Twilio's
// Messages API and, since Twilio honours no idempotency key, resolves calls whose outcome is
// unknown by looking up what Twilio sent.
import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  smsConfig,
  twilioConfig,
  type SmsConfig,
  type TwilioConfig,
  type TwilioSettings,
} from '../../config/configuration';
import { CLAIM_LAPSED, outcomeUnknown, TIMEOUT_CODE } from '../provider-call';
import {
  RESENT,
  type CallContext,
  type Resolution,
  type ResolveContext,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../sms-provider';
import {
  refusedBeforeWriting,
  TwilioApi,
  type TwilioAnswer,
  type TwilioErrorBody,
  type TwilioListedMessage,
} from './twilio-api';
import { retryAfterMs, twilioCategory } from './twilio-codes';
import { NoSlotError } from './semaphore';

/** Twilio's longest ValidityPeriod, in seconds (10 hours). */
export const MAX_VALIDITY_SECONDS = 36_000;
/** Messages per page of a lookup, and pages read at most before it gives up as inconclusive. */
export const LOOKUP_PAGE_SIZE = 100;
export const LOOKUP_MAX_PAGES = 10;
/**
 * How far before `since` a listed message may have been created and still be this message's:
 * Twilio's `date_created` holds whole seconds, and its clock and ours may differ a little.
 */
export const LOOKUP_SKEW_MS = 5_000;

/**
 * A create that found no free place among TWILIO_MAX_CONCURRENCY in time: nothing was written, so
 * it is retried (rate_limited, not counted as an attempt) rather than left in doubt.
 */
export const CONCURRENCY_LIMIT_CODE = 'TWILIO_CONCURRENCY_LIMIT';
/** The code of a redirect answered to a call (a configuration problem: see `rejection`). */
export const REDIRECT_CODE = 'TWILIO_REDIRECT';

type Rejection = Extract<SendResult, { accepted: false }>;

type Lookup =
  /** Matches created since `since`, and matches whose creation date cannot be read. */
  | { kind: 'found'; sids: string[]; undated: string[] }
  | { kind: 'failed'; answer: Rejection }
  | { kind: 'too-many'; seen: number };

@Injectable()
export class TwilioSmsProvider implements SmsProvider {
  /** Twilio has no idempotency key for creating messages: unknown outcomes go to `resolve`. */
  readonly idempotent = false;
  /** Built on first use: every adapter is constructed, and Twilio may not be configured. */
  private client: TwilioApi | null = null;

  constructor(
    @Inject(twilioConfig.KEY) private readonly config: TwilioConfig,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
  ) {}

  /** The settle delay, a lookup and a second send, each of those calls within `timeoutMs`. */
  resolveTimeoutMs(timeoutMs: number): number {
    return (this.config.settings?.lookupDelayMs ?? 0) + 2 * timeoutMs;
  }

  async send(request: SendRequest, { signal }: CallContext = {}): Promise<SendResult> {
    const settings = this.settings();
    const form = new URLSearchParams({ To: request.to, Body: request.body });
    if (request.from) form.set('From', request.from);
    else if (settings.messagingServiceSid)
      form.set('MessagingServiceSid', settings.messagingServiceSid);
    else form.set('From', settings.from ?? '');
    form.set('StatusCallback', `${settings.publicBaseUrl}/webhooks/twilio/status`);
    form.set('ValidityPeriod', String(validityPeriod(request.validUntil)));
    let answer: TwilioAnswer;
    try {
      answer = await this.api().createMessage(form, signal);
    } catch (error) {
      return failedCall(error);
    }
    if (answer.status >= 200 && answer.status < 300) {
      const sid = (answer.body as { sid?: unknown } | null)?.sid;
      if (typeof sid === 'string' && sid !== '') return { accepted: true, providerMessageId: sid };
      // A success without a sid: the message may exist, and only a lookup can tell.
      return {
        accepted: false,
        category: 'timeout',
        code: 'BAD_RESPONSE',
        message: `Twilio answered ${answer.status} without a message sid.`,
      };
    }
    return rejection(answer);
  }

  /**
   * After TWILIO_LOOKUP_DELAY_MS (so a create Twilio is still working on shows), lists the
   * messages to `request.to` from our sender created since `request.since` with the same body,
   * leaving out those other messages hold. Exactly one, with a readable date, is this one: it is
   * reserved for this message (`context.adopt`) and adopted. None means the call never created
   * it, so it is sent now (resent); several, one whose date cannot be read, or one another
   * message reserved at the same moment cannot be told apart (OUTCOME_UNKNOWN).
   */
  async resolve(request: SendRequest, context: ResolveContext): Promise<SendResult> {
    const settings = this.settings();
    await sleep(settings.lookupDelayMs, undefined, { signal: context.signal });
    const lookup = await this.lookup(request, settings, this.bounded(context.signal));
    const sender = settings.messagingServiceSid ?? settings.from;
    switch (lookup.kind) {
      case 'failed':
        // Whatever the lookup was answered (even a code that would fail a send), it says nothing
        // of this message.
        return {
          ...outcomeUnknown(
            `Whether Twilio sent the message is unknown: the lookup failed (${lookup.answer.code}: ${lookup.answer.message}); it is not sent again.`,
          ),
          resolution: resolution(
            'failed',
            `The lookup of messages to this number failed (${lookup.answer.code}: ${lookup.answer.message}).`,
          ),
        };
      case 'too-many':
        return {
          ...outcomeUnknown(
            `Twilio lists more than ${lookup.seen} messages to this number from ${sender} since the batch started; too many to search.`,
          ),
          resolution: resolution(
            'inconclusive',
            `More than ${lookup.seen} messages to this number since the batch started; too many to search.`,
          ),
        };
      case 'found':
        break;
    }
    const listed = [...lookup.sids, ...lookup.undated];
    const taken = listed.length ? await context.taken(listed) : new Set<string>();
    const ours = listed.filter((sid) => !taken.has(sid));
    const undated = lookup.undated.filter((sid) => !taken.has(sid));
    if (ours.length === 1 && !undated.length) {
      if (await context.adopt(ours[0])) {
        return {
          accepted: true,
          providerMessageId: ours[0],
          resolution: resolution(
            'adopted',
            `Twilio had created the message (${ours[0]}) although its answer was lost; adopted, not sent again.`,
          ),
        };
      }
      // Another message's lookup reserved it between our listing and now: whose it is is unknown.
      return {
        ...outcomeUnknown(
          `Twilio holds one message with this text to this number since the batch started (${ours[0]}), but another message adopted it at the same time; it is not sent again.`,
        ),
        resolution: resolution(
          'ambiguous',
          `The matching message (${ours[0]}) was adopted by another message at the same time; none adopted, not sent again.`,
        ),
      };
    }
    if (ours.length) {
      const doubt = undated.length
        ? ` (${undated.length} of them with a creation date that cannot be read)`
        : '';
      return {
        ...outcomeUnknown(
          `Twilio holds ${ours.length} messages with this text to this number since the batch started${doubt} (${ours.join(', ')}); which one is this message's cannot be told.`,
        ),
        resolution: resolution(
          'ambiguous',
          `${ours.length} matching messages at Twilio${doubt} (${ours.join(', ')}); none adopted, not sent again.`,
        ),
      };
    }
    // Past the lookup delay and the lookup: the claim may have run out meanwhile.
    if (!(await context.held())) return outcomeUnknown(CLAIM_LAPSED);
    const sent = await this.send(request, { signal: this.bounded(context.signal) });
    return {
      ...sent,
      resolution: resolution(
        RESENT,
        listed.length
          ? `Twilio's matching messages (${listed.join(', ')}) belong to other messages; this one was never created, so it was sent.`
          : 'Twilio had not created the message; it was sent.',
      ),
    };
  }

  /**
   * Lists the messages to `request.to` (from our From, or matched on our Messaging Service),
   * newest first as Twilio lists them, until one created before `since`: by creation, never by
   * `DateSent`, which Twilio leaves empty while a message is queued.
   */
  private async lookup(
    request: SendRequest,
    settings: TwilioSettings,
    signal: AbortSignal,
  ): Promise<Lookup> {
    const notBeforeMs = request.since.getTime() - LOOKUP_SKEW_MS;
    const query = new URLSearchParams({ To: request.to, PageSize: String(LOOKUP_PAGE_SIZE) });
    // With a Messaging Service, Twilio chooses the From: the service is matched on each message.
    if (!settings.messagingServiceSid) query.set('From', settings.from ?? '');
    const sids: string[] = [];
    const undated: string[] = [];
    let seen = 0;
    let next: string | null = `${this.api().messagesPath}?${query.toString()}`;
    for (let page = 0; next !== null; page++) {
      if (page === LOOKUP_MAX_PAGES) return { kind: 'too-many', seen };
      let answer: TwilioAnswer;
      try {
        answer = await this.api().listMessages(next, signal);
      } catch (error) {
        return { kind: 'failed', answer: failedCall(error) };
      }
      const body = answer.body as { messages?: unknown; next_page_uri?: unknown } | null;
      if (answer.status !== 200 || !Array.isArray(body?.messages)) {
        return { kind: 'failed', answer: rejection(answer) };
      }
      for (const message of body.messages as TwilioListedMessage[]) {
        seen++;
        const created = Date.parse(message.date_created);
        // Older than every call of this message: not it. Twilio's order is not relied on (its
        // docs sort by DateSent, which a queued message lacks), so the pages are read to the end.
        if (created < notBeforeMs) continue;
        if (
          message.body === request.body &&
          message.to === request.to &&
          (!settings.messagingServiceSid ||
            message.messaging_service_sid === settings.messagingServiceSid)
        ) {
          // An unreadable date may be this message's: a doubt that counts, never adopted alone.
          (Number.isNaN(created) ? undated : sids).push(message.sid);
        }
      }
      // Only a page of the same resource: the path is appended to TWILIO_API_BASE_URL and sent with
      // the credentials, so a value such as ".evil.example/x" must never change the host.
      // An unexpected one ends the lookup as failed (a doubt), never as "nothing found".
      const nextPage = body.next_page_uri;
      if (typeof nextPage !== 'string') {
        next = null;
      } else if (nextPage.startsWith(`${this.api().messagesPath}?`)) {
        next = nextPage;
      } else {
        return {
          kind: 'failed',
          answer: {
            accepted: false,
            category: 'provider_error',
            code: 'TWILIO_BAD_PAGE',
            message: 'The Messages list named a next page outside its own resource.',
          },
        };
      }
    }
    return { kind: 'found', sids, undated };
  }

  /** `signal`, and PROVIDER_TIMEOUT_MS for one step of a resolution. */
  private bounded(signal: AbortSignal | undefined): AbortSignal {
    const own = AbortSignal.timeout(this.sms.timeoutMs);
    return signal ? AbortSignal.any([signal, own]) : own;
  }

  private settings(): TwilioSettings {
    const { settings } = this.config;
    // Unreachable when chosen: the configuration requires Twilio's variables then.
    if (!settings) throw new Error('Twilio is not configured (README, "Connecting Twilio").');
    return settings;
  }

  private api(): TwilioApi {
    // A create waits for a place at most half of PROVIDER_TIMEOUT_MS: given up then, unsent.
    this.client ??= new TwilioApi(this.settings(), Math.floor(this.sms.timeoutMs / 2));
    return this.client;
  }
}

function resolution(outcome: string, detail: string): Resolution {
  return { method: 'lookup', outcome, detail };
}

/** What is left of the message's validity, in whole seconds within Twilio's 1..36000. */
export function validityPeriod(validUntil: Date, nowMs = Date.now()): number {
  const seconds = Math.floor((validUntil.getTime() - nowMs) / 1000);
  return Math.min(MAX_VALIDITY_SECONDS, Math.max(1, seconds));
}

/** An error answer, by Twilio's code (or the HTTP status when the body has none). */
function rejection({ status, headers, body }: TwilioAnswer): Rejection {
  if (status >= 300 && status < 400) {
    // Not Twilio's answer (it never redirects) and not followed (twilio-api.ts): the request
    // reached something else, which sent nothing. A configuration problem, retried as such.
    const location = headers.get('location');
    return {
      accepted: false,
      category: 'provider_error',
      code: REDIRECT_CODE,
      message: `Twilio's API answered a redirect (HTTP ${status}${location ? ` to ${location}` : ''}), which is not followed: check TWILIO_API_BASE_URL (README, "Connecting Twilio").`,
    };
  }
  const error = (body ?? {}) as TwilioErrorBody;
  const code =
    error.code !== undefined && error.code !== null ? String(error.code) : String(status);
  const message =
    typeof error.message === 'string' && error.message !== ''
      ? error.message
      : `Twilio answered HTTP ${status}.`;
  const category = twilioCategory(code, status);
  const after = category === 'rate_limited' ? retryAfterMs(headers.get('retry-after')) : undefined;
  return {
    accepted: false,
    category,
    code,
    message,
    ...(after !== undefined && { retryAfterMs: after }),
  };
}

/**
 * A call that got no answer: refused before anything was written is a plain provider error (not
 * sent); anything else (a reset or close after writing, our own abort) may have sent it.
 */
function failedCall(error: unknown): Rejection {
  if (error instanceof NoSlotError) {
    return {
      accepted: false,
      category: 'rate_limited',
      code: CONCURRENCY_LIMIT_CODE,
      message: `All of TWILIO_MAX_CONCURRENCY's places stayed busy for ${error.waitedMs} ms; the message was not sent.`,
      // This process's own bound, not Twilio's signal: the message waits, the fleet does not.
      local: true,
    };
  }
  const refused = refusedBeforeWriting(error);
  const text = error instanceof Error ? error.message : String(error);
  if (refused) {
    return {
      accepted: false,
      category: 'provider_error',
      code: refused,
      message: `Could not connect to Twilio (${refused}).`,
    };
  }
  const aborted = error instanceof Error && /^(AbortError|TimeoutError)$/.test(error.name);
  const cause = (error as { cause?: { message?: string } }).cause?.message;
  return {
    accepted: false,
    category: 'timeout',
    code: aborted ? TIMEOUT_CODE : 'CONNECTION_LOST',
    message: aborted
      ? 'Twilio did not answer in time; the request was abandoned.'
      : `The connection to Twilio failed after the request was sent (${cause ?? text}).`,
  };
}

// The provider port: every SMS goes out through an implementation of this interface. Each adapter
// lives in its own folder under src/sms/ and is registered in sms.module.ts.
import type { ErrorCategory } from '../errors/error-taxonomy';

export interface ProviderRateLimit {
  limit: number;
  remaining: number;
  resetMs: number;
}

export interface SendRequest {
  messageId: string;
  /** The message id: a provider that honours it never sends one message twice. */
  idempotencyKey: string;
  to: string;
  body: string;
  attempt: number;
  /**
   * When the message stops being worth sending (its batch's MESSAGE_VALIDITY_SECONDS run out): a
   * provider that queues messages can be told to drop it then (Twilio's ValidityPeriod).
   */
  validUntil: Date;
  /**
   * No call for this message was made before this moment (its batch's start or last reopening),
   * so a lookup of what the provider sent for it can start there.
   */
  since: Date;
  /**
   * A long message sent as several parts (SMPP): the parts an earlier call had sent when it was
   * refused, so the next call sends only the others, with the same reference.
   */
  parts?: MessageParts;
  /**
   * The sender to send from instead of the configured one (TWILIO_FROM or its Messaging Service,
   * SMPP_SOURCE_ADDR): the address a handset wrote to, for an answer to its HELP (src/consent/).
   * The simulator ignores it.
   */
  from?: string;
}

/**
 * A message a provider takes as several parts, each with its own provider message id (SMPP with a
 * concatenation header): what was accepted so far. Every accepted part's id is kept, since each
 * part has its own receipt; the message's own providerMessageId is its first part's.
 */
export interface MessageParts {
  /** The concatenation reference every part of the message carries (0–255). */
  reference: number;
  total: number;
  /** The parts the provider accepted, by number (1-based), with their provider message ids. */
  accepted: { part: number; providerMessageId: string }[];
}

/** What a call may use beside its request. */
export interface CallContext {
  /** Aborted when Salvo stops waiting for the call (PROVIDER_TIMEOUT_MS): drop the request. */
  signal?: AbortSignal;
}

/** What `resolve` may ask of Salvo. */
export interface ResolveContext extends CallContext {
  /**
   * Which of these provider message ids another message already holds (its written result, or an
   * adoption): a lookup must not count a message the provider sent for someone else's call.
   */
  taken(providerMessageIds: readonly string[]): Promise<ReadonlySet<string>>;
  /**
   * Reserves one provider message id for this message, atomically: false when another message
   * holds or reserved it first (two lookups that found the same SMS at once), and then the
   * lookup must not adopt it. Only a reserved id may be answered as adopted.
   */
  adopt(providerMessageId: string): Promise<boolean>;
  /**
   * Whether the message's claim is surely this worker's for one more request and its result's
   * write (renewed on the spot if need be). Asked right before a resolution sends the message
   * again: if its lease may run out meanwhile, another worker may take the message over and
   * resolve it too, so the resolution must not send (the next claim resolves it).
   */
  held(): Promise<boolean>;
}

/**
 * How `resolve` settled a call whose outcome was unknown, for the message log: e.g. a Twilio
 * lookup that found the message (`lookup`/`adopted`), found none and sent it (`lookup`/`resent`),
 * or found several (`lookup`/`ambiguous`).
 */
export interface Resolution {
  method: string;
  outcome: string;
  /** One sentence for a person reading the message log. */
  detail: string;
}

/**
 * The outcome of a resolution that proved the message was never sent and sent it: its answer is
 * a send's answer (a rejection means not sent and is retried by the usual rules; a timeout is an
 * unknown outcome again).
 */
export const RESENT = 'resent';

/**
 * A provider's answer. A rejection carries Salvo's category, mapped by the adapter from its own
 * codes, so dispatch never reads a provider's codes; the raw code and text are kept for
 * `lastError` and the error log.
 */
export type SendResult =
  | {
      accepted: true;
      providerMessageId: string;
      rateLimit?: ProviderRateLimit;
      resolution?: Resolution;
      /** A message sent as several parts: every part, all accepted. */
      parts?: MessageParts;
    }
  | {
      accepted: false;
      category: ErrorCategory;
      code: string;
      message: string;
      /** The provider's advice on when to call again (a Retry-After). */
      retryAfterMs?: number;
      rateLimit?: ProviderRateLimit;
      resolution?: Resolution;
      /**
       * Refused by the adapter itself before anything reached the provider (its own concurrency
       * bound): retried like any `rate_limited`, but not the provider's signal to slow down.
       */
      local?: boolean;
      /**
       * With `local`: the adapter could not reach the provider at all (no SMPP bind up), so the
       * message was not sent and the provider counts as failing (its circuit breaker).
       */
      unavailable?: boolean;
      /** A message sent as several parts: the parts accepted before this refusal. */
      parts?: MessageParts;
    };

export interface SmsProvider {
  /**
   * Whether a second send with one idempotency key never sends a second SMS. Only then does Salvo
   * send again after a call whose outcome it does not know (a timeout, a worker that died during
   * its call); otherwise it asks `resolve`.
   */
  readonly idempotent: boolean;
  /**
   * One call. A rejection means the provider did not send the message; an adapter that cannot
   * tell (its connection dropped after the request was written, its own timeout) answers category
   * `timeout` or throws, and Salvo treats the outcome as unknown.
   */
  send(request: SendRequest, context?: CallContext): Promise<SendResult>;
  /**
   * What became of a message whose last call's outcome is unknown, without ever sending it twice:
   * a replay of its idempotency key where the provider has one, a lookup where the provider can be
   * asked (and a send when the lookup proves nothing went out), else `OUTCOME_UNKNOWN`
   * (`outcomeUnknown()` in provider-call.ts). An answer that is neither an acceptance nor final
   * (a throttled or failed lookup) is taken as OUTCOME_UNKNOWN, except the answer of a send made
   * after the lookup proved nothing went out (resolution outcome RESENT), which is a send's.
   */
  resolve(request: SendRequest, context: ResolveContext): Promise<SendResult>;
  /**
   * How long `resolve` may take when each call it makes may take `timeoutMs` (PROVIDER_TIMEOUT_MS):
   * Salvo waits that long for it (the claim is renewed meanwhile). Absent:
   * `timeoutMs` (one call, such as a replay of the idempotency key).
   */
  resolveTimeoutMs?(timeoutMs: number): number;
}

export const SMS_PROVIDER = Symbol('SMS_PROVIDER');

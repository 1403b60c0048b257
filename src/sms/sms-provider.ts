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
  send(request: SendRequest): Promise<SendResult>;
  /**
   * What became of a message whose last call's outcome is unknown, without ever sending it twice:
   * a replay of its idempotency key where the provider has one, a lookup where the provider can be
   * asked (and a send when the lookup proves nothing went out), else `OUTCOME_UNKNOWN`
   * (`outcomeUnknown()` in provider-call.ts). An answer that is neither an acceptance nor final
   * (a throttled or failed lookup) is taken as OUTCOME_UNKNOWN.
   */
  resolve(request: SendRequest): Promise<SendResult>;
}

export const SMS_PROVIDER = Symbol('SMS_PROVIDER');

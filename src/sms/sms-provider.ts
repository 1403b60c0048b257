// The provider port (DESIGN.md): every SMS goes out through an implementation of this interface.

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

export type SendResult =
  | { accepted: true; providerMessageId: string; rateLimit?: ProviderRateLimit }
  | {
      accepted: false;
      code: string;
      message: string;
      retryable: boolean;
      retryAfterMs?: number;
      rateLimit?: ProviderRateLimit;
    };

export interface SmsProvider {
  send(request: SendRequest): Promise<SendResult>;
}

export const SMS_PROVIDER = Symbol('SMS_PROVIDER');

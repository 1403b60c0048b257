// What providers tell Salvo after a send: delivery receipts and inbound messages, in Salvo's terms.
// Each adapter maps its provider's statuses and codes to these (src/sms/<provider>/).
import type { ErrorCategory } from '../errors/error-taxonomy';

/**
 * Where a receipt's status stands: `accepted` (accepted, queued, sending at the provider) <
 * `sent` (handed to the carrier) < `final` (delivered or not). A message never moves down, and a
 * final status that arrives before `sent` still counts.
 */
export const RECEIPT_RANKS = { accepted: 1, sent: 2, final: 3 } as const;
export type ReceiptRank = (typeof RECEIPT_RANKS)[keyof typeof RECEIPT_RANKS];

export interface ProviderReceipt {
  /** The adapter's SMS_PROVIDER name. */
  provider: string;
  providerMessageId: string;
  /** The provider's own word for the status (Twilio's `delivered`, SMPP's `DELIVRD`…). */
  status: string;
  rank: ReceiptRank;
  /**
   * For a final receipt: what became of the message; `unknown` when the provider itself does not
   * know (SMPP's UNKNOWN), which a later delivered or undelivered receipt still replaces. Null
   * below `final`.
   */
  outcome: 'delivered' | 'undelivered' | 'unknown' | null;
  /** Why it was not delivered, mapped by the adapter; it only reports (never retries or fails). */
  error: { category: ErrorCategory; code: string; message: string } | null;
  /** When Salvo received it. */
  receivedAt: Date;
}

/** An SMS a provider received for one of Salvo's senders. */
export interface InboundSms {
  provider: string;
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
  receivedAt: Date;
}

/**
 * Applies receipts; resolves once they are durable in PostgreSQL (a webhook acknowledges only
 * then). Provided by the delivery module (src/batch/delivery/) under RECEIPT_RECORDER, so adapters
 * and webhooks below or beside it depend on this interface only.
 */
export interface ReceiptRecorder {
  record(receipts: readonly ProviderReceipt[]): Promise<void>;
}

export const RECEIPT_RECORDER = Symbol('RECEIPT_RECORDER');

/**
 * Stores an inbound SMS once per provider message id, with what consent makes of it (its keyword,
 * the account it answers); resolves once that is durable (true when it was new). Provided by the
 * consent module (src/consent/) under INBOUND_RECORDER, for the webhooks and for adapters that
 * receive messages themselves (SMPP's deliver_sm).
 */
export interface InboundRecorder {
  store(sms: InboundSms): Promise<boolean>;
}

export const INBOUND_RECORDER = Symbol('INBOUND_RECORDER');

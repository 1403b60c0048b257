// Twilio's status callbacks (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status)
// in Salvo's terms: the rank of each MessageStatus, and the receipt error codes' own table (README,
// "Connecting Twilio"). A receipt's category only reports: nothing retries or fails on it.
import type { ErrorCategory } from '../../errors/error-taxonomy';
import { RECEIPT_RANKS, type ProviderReceipt } from '../receipts';

/** The provider name receipts and inbound messages carry (SMS_PROVIDER=twilio). */
export const TWILIO_PROVIDER = 'twilio';

type Standing = Pick<ProviderReceipt, 'rank' | 'outcome'>;

const ACCEPTED: Standing = { rank: RECEIPT_RANKS.accepted, outcome: null };
const SENT: Standing = { rank: RECEIPT_RANKS.sent, outcome: null };
const DELIVERED: Standing = { rank: RECEIPT_RANKS.final, outcome: 'delivered' };
const UNDELIVERED: Standing = { rank: RECEIPT_RANKS.final, outcome: 'undelivered' };

/**
 * Where each MessageStatus stands. `failed` in a callback comes after Twilio accepted the message
 * (a refused create never calls back), so it counts as undelivered like `undelivered`; `read`
 * (WhatsApp, RCS) implies delivered. Statuses not listed (canceled, receiving, received,
 * partially_delivered…) say nothing about delivery and are ignored.
 */
const STANDINGS: Readonly<Record<string, Standing>> = {
  accepted: ACCEPTED,
  scheduled: ACCEPTED,
  queued: ACCEPTED,
  sending: ACCEPTED,
  sent: SENT,
  delivered: DELIVERED,
  read: DELIVERED,
  undelivered: UNDELIVERED,
  failed: UNDELIVERED,
};

/** Receipt error codes (https://www.twilio.com/docs/api/errors), their category and a default text. */
const RECEIPT_CODES: Readonly<Record<string, { category: ErrorCategory; message: string }>> = {
  '30001': { category: 'rate_limited', message: 'Queue overflow: the sender sent too much.' },
  '30002': { category: 'auth', message: 'The Twilio account is suspended.' },
  '30003': { category: 'unreachable', message: 'The destination handset is unreachable.' },
  '30004': { category: 'content_rejected', message: 'The message was blocked.' },
  '30005': { category: 'invalid_number', message: 'The destination number is unknown.' },
  '30006': {
    category: 'invalid_number',
    message: 'The destination is a landline or an unreachable carrier.',
  },
  '30007': { category: 'content_rejected', message: 'The carrier filtered the message.' },
  '30008': { category: 'unknown', message: 'Twilio reported an unknown error.' },
  '30034': {
    category: 'content_rejected',
    message: 'The message came from an unregistered number (US A2P 10DLC).',
  },
  '30036': {
    category: 'timeout',
    message: 'The validity period expired before the message could be delivered.',
  },
};

/** The longest error text kept; Twilio's are a sentence. */
export const MAX_ERROR_MESSAGE_LENGTH = 500;

/** What a status callback says, its fields already bounded (src/webhooks/). */
export interface TwilioStatusCallback {
  messageSid: string;
  messageStatus: string;
  errorCode?: string;
  errorMessage?: string;
}

/**
 * The receipt a status callback stands for, or null when its status says nothing about delivery
 * (answered 200 and dropped, so Twilio does not retry it).
 */
export function twilioReceipt(
  callback: TwilioStatusCallback,
  receivedAt: Date,
): ProviderReceipt | null {
  const status = callback.messageStatus.toLowerCase();
  const standing = Object.hasOwn(STANDINGS, status) ? STANDINGS[status] : undefined;
  if (!standing) return null;
  return {
    provider: TWILIO_PROVIDER,
    providerMessageId: callback.messageSid,
    status,
    ...standing,
    error: standing.outcome === 'undelivered' ? receiptError(status, callback) : null,
    receivedAt,
  };
}

/** Why a message was not delivered: by its ErrorCode, else unknown with Twilio's word for it. */
function receiptError(
  status: string,
  { errorCode, errorMessage }: TwilioStatusCallback,
): NonNullable<ProviderReceipt['error']> {
  const text = errorMessage?.trim().slice(0, MAX_ERROR_MESSAGE_LENGTH) || undefined;
  if (!errorCode) {
    return {
      category: 'unknown',
      code: `TWILIO_${status.toUpperCase()}`,
      message: text ?? `Twilio reported the message ${status} without an error code.`,
    };
  }
  const known = Object.hasOwn(RECEIPT_CODES, errorCode) ? RECEIPT_CODES[errorCode] : undefined;
  return {
    category: known?.category ?? 'unknown',
    code: errorCode,
    message: text ?? known?.message ?? `Twilio error ${errorCode}.`,
  };
}

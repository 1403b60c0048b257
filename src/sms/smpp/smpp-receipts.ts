// What an SMSC's deliver_sm says in Salvo's terms: a delivery receipt for a message Salvo sent
// (SMPP v3.4 §5.2.12 esm_class, §5.3.2.35 message_state, Appendix B receipt text), or an SMS a
// handset sent to one of Salvo's senders.
import { storableText } from '../../common/text';
import { uuidV7s } from '../../common/uuid-v7';
import type { SMPP_RECEIPT_ID_BASES } from '../../config/configuration';
import type { ErrorCategory } from '../../errors/error-taxonomy';
import {
  RECEIPT_RANKS,
  type InboundSms,
  type ProviderReceipt,
  type ReceiptRank,
} from '../receipts';
import { decodeMessage, ESM_CLASS_UDHI } from './smpp-encoding';

/** The provider name receipts and inbound messages carry (SMS_PROVIDER=smpp). */
export const SMPP_PROVIDER = 'smpp';

/** The fields Salvo reads from a deliver_sm, as the smpp package parses them (typed by the adapter). */
export interface DeliverSmView {
  source_addr?: string;
  source_addr_ton?: number;
  destination_addr?: string;
  // The package names it as SMPP 3.4 does: dest_addr_ton, beside destination_addr.
  dest_addr_ton?: number;
  esm_class?: number;
  data_coding?: number;
  short_message?: { message?: string | Buffer; udh?: Buffer[] } | Buffer | string;
  message_payload?: { message?: string | Buffer } | Buffer | string;
  receipted_message_id?: string;
  message_state?: number;
  network_error_code?: unknown;
}

/**
 * How the SMSC writes message ids in receipts: as in its submit_sm_resp, or in decimal (resp in
 * hex), or in hex (resp in decimal). SMPP_RECEIPT_ID_BASE.
 */
export type ReceiptIdBase = (typeof SMPP_RECEIPT_ID_BASES)[number];

export type Delivered =
  | { kind: 'receipt'; receipt: ProviderReceipt }
  | { kind: 'inbound'; message: InboundSms }
  /** Flagged as a receipt, but with no readable message id or state: nothing to apply. */
  | { kind: 'malformed'; reason: string };

// esm_class bits 5-2, the message type.
const MESSAGE_TYPE = 0x3c;
const MC_DELIVERY_RECEIPT = 0x04;
// An SME delivery acknowledgement (0x08) and an intermediate delivery notification (0x20) are
// about a message on its way: whatever state they carry, it is not the message's last.
const NOTIFICATIONS: ReadonlySet<number> = new Set([0x08, 0x20]);

/** SMPP message_id is a C-octet string of at most 65 octets; anything longer is no id. */
const MAX_ID_LENGTH = 65;
/** The longest `err:` kept in an error code; Appendix B gives it three digits. */
const MAX_ERR_LENGTH = 16;

type Stat =
  'ENROUTE' | 'DELIVRD' | 'EXPIRED' | 'DELETED' | 'UNDELIV' | 'ACCEPTD' | 'UNKNOWN' | 'REJECTD';

interface StatMeaning {
  messageState: number;
  rank: ReceiptRank;
  outcome: ProviderReceipt['outcome'];
  /** Why the message was not delivered, for an undelivered outcome. */
  failure?: { category: ErrorCategory; message: string };
}

const STATS: Readonly<Record<Stat, StatMeaning>> = {
  ENROUTE: { messageState: 1, rank: RECEIPT_RANKS.sent, outcome: null },
  DELIVRD: { messageState: 2, rank: RECEIPT_RANKS.final, outcome: 'delivered' },
  EXPIRED: {
    messageState: 3,
    rank: RECEIPT_RANKS.final,
    outcome: 'undelivered',
    failure: {
      category: 'timeout',
      message: 'The validity period expired before the SMSC could deliver the message',
    },
  },
  DELETED: {
    messageState: 4,
    rank: RECEIPT_RANKS.final,
    outcome: 'undelivered',
    failure: { category: 'unknown', message: 'The SMSC deleted the message before delivering it' },
  },
  UNDELIV: {
    messageState: 5,
    rank: RECEIPT_RANKS.final,
    outcome: 'undelivered',
    failure: { category: 'unreachable', message: 'The SMSC could not deliver the message' },
  },
  ACCEPTD: { messageState: 6, rank: RECEIPT_RANKS.accepted, outcome: null },
  UNKNOWN: { messageState: 7, rank: RECEIPT_RANKS.final, outcome: 'unknown' },
  REJECTD: {
    messageState: 8,
    rank: RECEIPT_RANKS.final,
    outcome: 'undelivered',
    failure: { category: 'content_rejected', message: 'The SMSC rejected the message' },
  },
};
const STAT_BY_STATE = new Map(
  Object.entries(STATS).map(([stat, { messageState }]) => [messageState, stat as Stat]),
);
// The words some SMSCs write out in full instead of Appendix B's seven letters.
const STAT_BY_WORD = new Map<string, Stat>([
  ...Object.keys(STATS).map((stat) => [stat, stat as Stat] as const),
  ['DELIVERED', 'DELIVRD'],
  ['UNDELIVERABLE', 'UNDELIV'],
  ['REJECTED', 'REJECTD'],
  ['ACCEPTED', 'ACCEPTD'],
]);

// Appendix B's keys, in any case and order, with or without spaces around the colon. A key counts
// only at the start of a word, so `id:` is not read inside `msgid:`.
const RECEIPT_ID = /(?:^|[^a-z0-9_])id\s*:\s*([^\s,;]+)/i;
const RECEIPT_STAT = /(?:^|[^a-z0-9_])stat\s*:\s*([a-z_]+)/i;
const RECEIPT_ERR = /(?:^|[^a-z0-9_])err\s*:\s*([^\s,;]+)/i;

/** What a deliver_sm carries: a receipt (flagged in esm_class), else an inbound SMS. */
export function readDeliverSm(
  pdu: DeliverSmView,
  base: ReceiptIdBase,
  receivedAt: Date,
): Delivered {
  const type = (pdu.esm_class ?? 0) & MESSAGE_TYPE;
  if (type === MC_DELIVERY_RECEIPT || NOTIFICATIONS.has(type)) {
    return readReceipt(pdu, base, receivedAt, type === MC_DELIVERY_RECEIPT);
  }
  return { kind: 'inbound', message: readInbound(pdu, receivedAt) };
}

/**
 * A receipt from its TLVs (receipted_message_id, message_state), each read from the text when the
 * TLV is absent or unreadable. `final`: an MC delivery receipt, whose state is the message's last.
 */
function readReceipt(
  pdu: DeliverSmView,
  base: ReceiptIdBase,
  receivedAt: Date,
  final: boolean,
): Delivered {
  const text = messageText(pdu);
  const id = readableId(pdu.receipted_message_id) ?? readableId(RECEIPT_ID.exec(text)?.[1]);
  const word = RECEIPT_STAT.exec(text)?.[1];
  const stat = statOfState(pdu.message_state) ?? (word && STAT_BY_WORD.get(word.toUpperCase()));
  if (!id) return { kind: 'malformed', reason: 'The receipt carries no readable message id.' };
  if (!stat) {
    return {
      kind: 'malformed',
      reason: word
        ? `The receipt's stat "${word.slice(0, 20)}" is no SMPP message state.`
        : 'The receipt carries no message state.',
    };
  }
  const meaning = STATS[stat];
  const standing = final
    ? { rank: meaning.rank, outcome: meaning.outcome, error: receiptError(stat, text) }
    : {
        rank: Math.min(meaning.rank, RECEIPT_RANKS.sent) as ReceiptRank,
        outcome: null,
        error: null,
      };
  return {
    kind: 'receipt',
    receipt: {
      provider: SMPP_PROVIDER,
      providerMessageId: receiptIdAsSubmitted(id, base),
      status: stat,
      ...standing,
      receivedAt,
    },
  };
}

function statOfState(messageState: number | undefined): Stat | undefined {
  return messageState === undefined ? undefined : STAT_BY_STATE.get(messageState);
}

function readableId(id: string | undefined): string | undefined {
  const trimmed = id?.trim();
  return trimmed && trimmed.length <= MAX_ID_LENGTH ? trimmed : undefined;
}

/** Why a message was not delivered: `SMPP_<STAT>`, with the receipt's `err:` unless it is zero. */
function receiptError(stat: Stat, text: string): ProviderReceipt['error'] {
  const { failure } = STATS[stat];
  if (!failure) return null;
  const err = RECEIPT_ERR.exec(text)?.[1].slice(0, MAX_ERR_LENGTH);
  const given = err !== undefined && !/^0+$/.test(err) ? err : undefined;
  return {
    category: failure.category,
    code: given ? `SMPP_${stat}:${given}` : `SMPP_${stat}`,
    message: given ? `${failure.message} (err ${given}).` : `${failure.message}.`,
  };
}

/**
 * An SMS from a handset. A deliver_sm carries no message id, so each gets a fresh UUIDv7: an SMSC
 * that delivers the same PDU again (it got no deliver_sm_resp, or an ESME_RX_T_APPN) has it stored
 * twice, which is better than dropping a second, identical text the handset really sent.
 */
function readInbound(pdu: DeliverSmView, receivedAt: Date): InboundSms {
  return {
    provider: SMPP_PROVIDER,
    providerMessageId: uuidV7s(1, receivedAt.getTime())[0],
    from: cut(address(pdu.source_addr, pdu.source_addr_ton), INBOUND_ADDRESS_LENGTH),
    to: cut(address(pdu.destination_addr, pdu.dest_addr_ton), INBOUND_ADDRESS_LENGTH),
    body: cut(messageText(pdu), INBOUND_BODY_LENGTH),
    receivedAt,
  };
}

/**
 * The bounds Twilio's inbound webhook keeps (src/webhooks/twilio-webhooks.service.ts): a
 * message_payload may carry 64 kB, and an SMSC resending one stores it again each time. Cut, not
 * refused: the SMSC would only deliver it again.
 */
export const INBOUND_ADDRESS_LENGTH = 128;
export const INBOUND_BODY_LENGTH = 4096;

/** At most `length` UTF-16 units, never ending on half a surrogate pair. */
function cut(text: string, length: number): string {
  if (text.length <= length) return text;
  const end = /[\uD800-\uDBFF]/.test(text[length - 1]) ? length - 1 : length;
  return text.slice(0, end);
}

// TON 1: an international number, which Salvo writes in E.164 with its `+`.
const TON_INTERNATIONAL = 1;

function address(addr: string | undefined, ton: number | undefined): string {
  const value = addr?.trim() ?? '';
  return ton === TON_INTERNATIONAL && value && !value.startsWith('+') ? `+${value}` : value;
}

/** The text of short_message, or of message_payload when short_message is empty. */
function messageText(pdu: DeliverSmView): string {
  return fieldText(pdu.short_message, pdu) || fieldText(pdu.message_payload, pdu);
}

/**
 * A message field as the package left it: decoded to a string, or bytes when it knew no decoding
 * (or was not asked), in which case a raw field still opens with its user data header.
 */
function fieldText(field: DeliverSmView['short_message'], pdu: DeliverSmView): string {
  if (field === undefined || typeof field === 'string') return storableText(field ?? '');
  if (Buffer.isBuffer(field))
    return decodeMessage(withoutUdh(field, pdu.esm_class), dataCoding(pdu));
  if (typeof field.message === 'string') return storableText(field.message);
  return field.message ? decodeMessage(field.message, dataCoding(pdu)) : '';
}

function dataCoding(pdu: DeliverSmView): number {
  return pdu.data_coding ?? 0;
}

function withoutUdh(bytes: Buffer, esmClass: number | undefined): Buffer {
  if (!((esmClass ?? 0) & ESM_CLASS_UDHI) || bytes.length === 0) return bytes;
  return bytes.subarray(Math.min(bytes.length, bytes[0] + 1));
}

/** A message id as Salvo stores it: trimmed, lower case, without leading zeros ("0" stays "0"). */
export function canonicalMessageId(id: string): string {
  const lower = id.trim().toLowerCase();
  const unpadded = lower.replace(/^0+/, '');
  return unpadded === '' && lower !== '' ? '0' : unpadded;
}

/**
 * A receipt's message id as its submit_sm_resp gave it, canonical: a decimal receipt id in hex
 * (base 'decimal'), a hex one, `0x` or not, in decimal (base 'hex'). An id that is no number in
 * that base stays as it is, canonical, and will match only an equal submit id.
 */
export function receiptIdAsSubmitted(id: string, base: ReceiptIdBase): string {
  const written = id.trim().toLowerCase();
  if (base === 'decimal' && /^\d+$/.test(written)) return BigInt(written).toString(16);
  if (base === 'hex') {
    const digits = written.startsWith('0x') ? written.slice(2) : written;
    if (/^[0-9a-f]+$/.test(digits)) return BigInt(`0x${digits}`).toString(10);
  }
  return canonicalMessageId(written);
}

// The one typed view of the untyped `smpp` package (0.5.1, lib/smpp.js and lib/pdu.js): what Salvo
// uses of its Session and PDU, so nothing untyped leaks past this file.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/** A message body as the package decodes it (defs.js `filters.message.decode`). */
export interface SmppMessage {
  /** Text when the package knows the data_coding, else the raw octets. */
  message: string | Buffer;
  /** The UDH's information elements, when esm_class has the UDH indicator. */
  udh?: Buffer[];
}

/** Fields of a PDU; which ones are present depends on `command`. */
export interface SmppPdu {
  command: string;
  command_id: number;
  command_status: number;
  sequence_number: number;
  isResponse(): boolean;
  /** A response to this request, with its sequence number; generic_nack when `command` is unknown. */
  response(options?: { command_status?: number; message_id?: string }): SmppPdu;
  [field: string]: unknown;
}

/** What Salvo sets on a submit_sm. */
export interface SubmitSmFields {
  source_addr: string;
  source_addr_ton: number;
  source_addr_npi: number;
  destination_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  esm_class: number;
  registered_delivery: number;
  data_coding: number;
  /** The octets as sent, UDH included: a Buffer keeps the package from encoding it again. */
  short_message: Buffer;
  /** A Date the package encodes in SMPP's absolute format (UTC), or the format itself. */
  validity_period?: Date | string;
}

/** A deliver_sm (or data_sm) from the SMSC: a delivery receipt or an inbound message. */
export interface DeliverSm {
  command: 'deliver_sm' | 'data_sm';
  source_addr: string;
  source_addr_ton: number;
  destination_addr: string;
  dest_addr_ton: number;
  esm_class: number;
  data_coding: number;
  /** data_sm has no short_message: its text is in message_payload and this one is empty. */
  short_message: SmppMessage;
  message_payload?: SmppMessage;
  receipted_message_id?: string;
  message_state?: number;
  network_error_code?: Buffer;
}

/** The package's Session, over one TCP connection. */
export interface SmppSession {
  readonly socket: Socket;
  /** Writes a PDU; false (and nothing written) when the socket is no longer writable. */
  send(pdu: SmppPdu, onResponse?: (response: SmppPdu) => void): boolean;
  destroy(): void;
  on(event: 'connect' | 'close', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'pdu', listener: (pdu: SmppPdu) => void): this;
  removeAllListeners(): this;
}

interface SmppPackage {
  connect(options: { host: string; port: number }): SmppSession;
  PDU: {
    new (command: string | Buffer, fields?: object): SmppPdu;
    prototype: SmppPdu;
    /** The longest command_length read; a longer one is an 'error' of the session. */
    maxLength: number;
    /** Reads the next command_length; false until 4 octets are there; throws over maxLength. */
    commandLength(this: void, stream: Readable): number | false;
    fromStream(stream: Readable, commandLength: number): SmppPdu | false;
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package has no types
const smpp = require('smpp') as SmppPackage;

/**
 * The command of a PDU the package could not parse (a malformed TLV, a length below the header's):
 * `command_id` and `sequence_number` are read from its header, as far as it has one.
 */
export const UNREADABLE = 'unreadable';

/**
 * The package parses each PDU inside its read loop, and a parse that throws stops that loop for
 * good with the connection still open: every submit in flight would end unknown, and the SMSC
 * would send the same PDU again after the reconnect. Its bytes are already read, so the PDU is
 * handed on as UNREADABLE instead, and the bind answers it (or, a response, lets its submit time
 * out: a malformed submit_sm_resp may still have been an acceptance).
 */
smpp.PDU.fromStream = (stream, commandLength) => {
  const body = stream.read(commandLength - 4) as Buffer | null;
  if (!body) return false;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(commandLength, 0);
  const buffer = Buffer.concat([length, body]);
  try {
    return new smpp.PDU(buffer);
  } catch {
    const header = (offset: number) =>
      buffer.length >= offset + 4 ? buffer.readUInt32BE(offset) : 0;
    return Object.assign(Object.create(smpp.PDU.prototype) as SmppPdu, {
      command: UNREADABLE,
      command_length: commandLength,
      command_id: header(4),
      command_status: header(8),
      sequence_number: header(12),
      // Never matched to a waiting callback as a response.
      isResponse: () => false,
    });
  }
};

/**
 * The package refuses PDUs over 16 KB, but SMPP 3.4 lets a deliver_sm or data_sm carry up to 64 KB
 * in message_payload: such a PDU would drop the link, and the SMSC would send it again after each
 * rebind, every submit in flight ending unknown each time. Room for the largest payload, the
 * mandatory fields and a few more TLVs.
 */
smpp.PDU.maxLength = 0xffff + 4 * 1024;

/**
 * A command_length of 4 or less leaves no octets to read after it: the package would wait for
 * them forever (1 to 4) or take the next PDU's command_id for its length (0), and never read the
 * link in step again. Nothing after it can be framed, so the link is dropped at once, as for a
 * length over the package's maximum (the package emits the throw as the session's 'error').
 */
const readCommandLength = smpp.PDU.commandLength;
smpp.PDU.commandLength = (stream) => {
  const commandLength = readCommandLength(stream);
  if (commandLength !== false && commandLength <= 4) {
    throw new Error(`PDU length ${commandLength} cannot hold a header; the link is out of step`);
  }
  return commandLength;
};

/** Command statuses Salvo sends or reads (SMPP 3.4 §5.1.3). */
export const ESME_ROK = 0x00;
export const ESME_RINVCMDLEN = 0x02;
export const ESME_RINVCMDID = 0x03;
export const ESME_RX_T_APPN = 0x64;
export const ESME_RX_R_APPN = 0x65;

/** SMPP 3.4, as the brief of every SMSC Salvo talks to expects (the package defaults to 5.0). */
export const INTERFACE_VERSION_34 = 0x34;

/** Opens a TCP connection to the SMSC; the session emits `connect`, `pdu`, `error`, `close`. */
export function openSmppSession(host: string, port: number): SmppSession {
  const session = smpp.connect({ host, port });
  // PDUs are small and each waits for its answer: Nagle's algorithm would hold one back until
  // the previous segment is acknowledged, adding milliseconds to every turn of the window.
  session.socket.setNoDelay(true);
  return session;
}

/**
 * A request PDU to write with `SmppSession.send`; its sequence number is set when it is sent.
 * Fields left undefined are left out: the package would take them as given and then fail to
 * encode them (an undefined validity_period throws inside send).
 */
export function smppRequest(command: string, fields: object = {}): SmppPdu {
  const given = Object.entries(fields).filter(([, value]) => value !== undefined);
  return new smpp.PDU(command, Object.fromEntries(given));
}

function messageOf(value: unknown): SmppMessage | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object' && 'message' in value) return value as SmppMessage;
  return { message: value as string | Buffer };
}

/** The typed view of a deliver_sm or data_sm the package parsed. */
export function deliverSmOf(pdu: SmppPdu): DeliverSm {
  return {
    command: pdu.command === 'data_sm' ? 'data_sm' : 'deliver_sm',
    source_addr: (pdu.source_addr as string | undefined) ?? '',
    source_addr_ton: (pdu.source_addr_ton as number | undefined) ?? 0,
    destination_addr: (pdu.destination_addr as string | undefined) ?? '',
    dest_addr_ton: (pdu.dest_addr_ton as number | undefined) ?? 0,
    esm_class: (pdu.esm_class as number | undefined) ?? 0,
    data_coding: (pdu.data_coding as number | undefined) ?? 0,
    short_message: messageOf(pdu.short_message) ?? { message: Buffer.alloc(0) },
    message_payload: messageOf(pdu.message_payload),
    receipted_message_id: pdu.receipted_message_id as string | undefined,
    message_state: pdu.message_state as number | undefined,
    network_error_code: pdu.network_error_code as Buffer | undefined,
  };
}

/** SMPP 3.4 command ids this module answers by hand. */
const DELIVER_SM_ID = 0x00000005;
const RESPONSE_BIT = 0x80000000;

/**
 * What to answer an UNREADABLE PDU: nothing for a response (its submit times out and stays in
 * doubt); a deliver_sm is refused for good (ESME_RX_R_APPN: redelivering the same bytes cannot
 * help); any other request a generic_nack (ESME_RINVCMDLEN).
 */
export function answerToUnreadable(pdu: SmppPdu): SmppPdu | null {
  const id = Number(pdu.command_id);
  if ((id & RESPONSE_BIT) !== 0) return null;
  const sequence_number = Number(pdu.sequence_number);
  return id === DELIVER_SM_ID
    ? new smpp.PDU('deliver_sm_resp', { sequence_number, command_status: ESME_RX_R_APPN })
    : new smpp.PDU('generic_nack', { sequence_number, command_status: ESME_RINVCMDLEN });
}

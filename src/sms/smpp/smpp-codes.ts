// SMPP command_status values (SMPP v3.4 §5.1.3, v5.0 §4.7.6, as the smpp package names them in
// lib/defs.js) and Salvo's category for each refusal (README, "Connecting to an SMSC").
import type { ErrorCategory } from '../../errors/error-taxonomy';

export interface SmppRefusal {
  category: ErrorCategory;
  /** The status's ESME_ name, or its hex when the specifications name none. */
  code: string;
  /** One sentence for the error log. */
  message: string;
}

/** The statuses Salvo acts on; every other refusal is `unknown`, kept by its name. */
const CATEGORIES: ReadonlyMap<number, ErrorCategory> = new Map<number, ErrorCategory>([
  [0x58, 'rate_limited'], // ESME_RTHROTTLED: over the SMSC's rate for this bind
  [0x14, 'rate_limited'], // ESME_RMSGQFUL: the SMSC's queue is full; it takes more later
  [0x0b, 'invalid_number'], // ESME_RINVDSTADR
  [0x0d, 'auth'], // ESME_RBINDFAIL
  [0x0e, 'auth'], // ESME_RINVPASWD
  [0x0f, 'auth'], // ESME_RINVSYSID
  [0x08, 'provider_error'], // ESME_RSYSERR: the SMSC's own failure, worth another try
]);

/** Each status's name and what it means, in the words of the specification. */
const STATUSES: ReadonlyMap<number, readonly [name: string, meaning: string]> = new Map([
  [0x00, ['ESME_ROK', 'no error']],
  [0x01, ['ESME_RINVMSGLEN', 'message length is invalid']],
  [0x02, ['ESME_RINVCMDLEN', 'command length is invalid']],
  [0x03, ['ESME_RINVCMDID', 'invalid command id']],
  [0x04, ['ESME_RINVBNDSTS', 'incorrect bind status for the command']],
  [0x05, ['ESME_RALYBND', 'already bound']],
  [0x06, ['ESME_RINVPRTFLG', 'invalid priority flag']],
  [0x07, ['ESME_RINVREGDLVFLG', 'invalid registered delivery flag']],
  [0x08, ['ESME_RSYSERR', 'system error']],
  [0x0a, ['ESME_RINVSRCADR', 'invalid source address']],
  [0x0b, ['ESME_RINVDSTADR', 'invalid destination address']],
  [0x0c, ['ESME_RINVMSGID', 'message id is invalid']],
  [0x0d, ['ESME_RBINDFAIL', 'bind failed']],
  [0x0e, ['ESME_RINVPASWD', 'invalid password']],
  [0x0f, ['ESME_RINVSYSID', 'invalid system id']],
  [0x11, ['ESME_RCANCELFAIL', 'cancel_sm failed']],
  [0x13, ['ESME_RREPLACEFAIL', 'replace_sm failed']],
  [0x14, ['ESME_RMSGQFUL', 'message queue full']],
  [0x15, ['ESME_RINVSERTYP', 'invalid service type']],
  [0x33, ['ESME_RINVNUMDESTS', 'invalid number of destinations']],
  [0x34, ['ESME_RINVDLNAME', 'invalid distribution list name']],
  [0x40, ['ESME_RINVDESTFLAG', 'invalid destination flag']],
  [0x42, ['ESME_RINVSUBREP', "invalid 'submit with replace' request"]],
  [0x43, ['ESME_RINVESMCLASS', 'invalid esm_class']],
  [0x44, ['ESME_RCNTSUBDL', 'cannot submit to a distribution list']],
  [0x45, ['ESME_RSUBMITFAIL', 'submit_sm or submit_multi failed']],
  [0x48, ['ESME_RINVSRCTON', 'invalid source address TON']],
  [0x49, ['ESME_RINVSRCNPI', 'invalid source address NPI']],
  [0x50, ['ESME_RINVDSTTON', 'invalid destination address TON']],
  [0x51, ['ESME_RINVDSTNPI', 'invalid destination address NPI']],
  [0x53, ['ESME_RINVSYSTYP', 'invalid system_type']],
  [0x54, ['ESME_RINVREPFLAG', 'invalid replace_if_present flag']],
  [0x55, ['ESME_RINVNUMMSGS', 'invalid number of messages']],
  [0x58, ['ESME_RTHROTTLED', 'throttled: the message rate limit is exceeded']],
  [0x61, ['ESME_RINVSCHED', 'invalid scheduled delivery time']],
  [0x62, ['ESME_RINVEXPIRY', 'invalid validity period']],
  [0x63, ['ESME_RINVDFTMSGID', 'predefined message invalid or not found']],
  [0x64, ['ESME_RX_T_APPN', 'temporary application error at the receiver']],
  [0x65, ['ESME_RX_P_APPN', 'permanent application error at the receiver']],
  [0x66, ['ESME_RX_R_APPN', 'the receiver rejected the message']],
  [0x67, ['ESME_RQUERYFAIL', 'query_sm failed']],
  [0xc0, ['ESME_RINVTLVSTREAM', 'error in the optional part of the PDU']],
  [0xc1, ['ESME_RTLVNOTALLWD', 'optional parameter not allowed']],
  [0xc2, ['ESME_RINVTLVLEN', 'invalid optional parameter length']],
  [0xc3, ['ESME_RMISSINGTLV', 'expected optional parameter missing']],
  [0xc4, ['ESME_RINVTLVVAL', 'invalid optional parameter value']],
  [0xfe, ['ESME_RDELIVERYFAILURE', 'delivery failure']],
  [0xff, ['ESME_RUNKNOWNERR', 'unknown error']],
  [0x100, ['ESME_RSERTYPUNAUTH', 'not authorised to use the service type']],
  [0x101, ['ESME_RPROHIBITED', 'prohibited from using the operation']],
  [0x102, ['ESME_RSERTYPUNAVAIL', 'service type unavailable']],
  [0x103, ['ESME_RSERTYPDENIED', 'service type denied']],
  [0x104, ['ESME_RINVDCS', 'invalid data coding scheme']],
  [0x105, ['ESME_RINVSRCADDRSUBUNIT', 'invalid source address subunit']],
  [0x106, ['ESME_RINVDSTADDRSUBUNIT', 'invalid destination address subunit']],
  [0x107, ['ESME_RINVBCASTFREQINT', 'invalid broadcast frequency interval']],
  [0x108, ['ESME_RINVBCASTALIAS_NAME', 'invalid broadcast alias name']],
  [0x109, ['ESME_RINVBCASTAREAFMT', 'invalid broadcast area format']],
  [0x10a, ['ESME_RINVNUMBCAST_AREAS', 'invalid number of broadcast areas']],
  [0x10b, ['ESME_RINVBCASTCNTTYPE', 'invalid broadcast content type']],
  [0x10c, ['ESME_RINVBCASTMSGCLASS', 'invalid broadcast message class']],
  [0x10d, ['ESME_RBCASTFAIL', 'broadcast_sm failed']],
  [0x10e, ['ESME_RBCASTQUERYFAIL', 'query_broadcast_sm failed']],
  [0x10f, ['ESME_RBCASTCANCELFAIL', 'cancel_broadcast_sm failed']],
  [0x110, ['ESME_RINVBCAST_REP', 'invalid number of repeated broadcasts']],
  [0x111, ['ESME_RINVBCASTSRVGRP', 'invalid broadcast service group']],
  [0x112, ['ESME_RINVBCASTCHANIND', 'invalid broadcast channel indicator']],
]);

/** A command_status's ESME_ name, else its 32 bits in hex (`0x00000400`), vendor statuses included. */
export function statusName(commandStatus: number): string {
  return STATUSES.get(commandStatus)?.[0] ?? hex(commandStatus);
}

/**
 * What a refusal means to Salvo: the category of the statuses Salvo acts on, `unknown` for any
 * other, with the status kept in `code`. `command` names the refused PDU in the message.
 */
export function classifyCommandStatus(commandStatus: number, command = 'submit_sm'): SmppRefusal {
  const known = STATUSES.get(commandStatus);
  const status = known ? `${known[0]} (${known[1]})` : `status ${hex(commandStatus)}`;
  return {
    category: CATEGORIES.get(commandStatus) ?? 'unknown',
    code: statusName(commandStatus),
    message: `The SMSC refused the ${command}: ${status}.`,
  };
}

function hex(commandStatus: number): string {
  return `0x${(commandStatus >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

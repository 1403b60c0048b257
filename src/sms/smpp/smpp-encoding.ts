// The bytes of a message's submit_sm PDUs (data_coding, esm_class, short_message), split exactly as
// countSegments (src/template/segments.ts) bills it, and the decoding of the text an SMSC delivers.
import {
  GSM_BASIC,
  GSM_ESCAPE,
  GSM_EXTENSION,
  GSM_PART_LIMIT,
  GSM_SINGLE_LIMIT,
  UCS_PART_LIMIT,
  UCS_SINGLE_LIMIT,
} from '../../common/gsm-alphabet';
import { storableText } from '../../common/text';

/** data_coding 0: the SMSC default alphabet, GSM 03.38 as unpacked septets (one byte each). */
export const DATA_CODING_GSM = 0;
/** data_coding 1: IA5, which the smpp package (and many SMSCs) read as GSM 03.38. */
const DATA_CODING_IA5 = 1;
/** data_coding 8: UCS-2, big-endian (a character outside the BMP as its UTF-16 surrogate pair). */
export const DATA_CODING_UCS2 = 8;
/** esm_class UDHI: short_message opens with a user data header. */
export const ESM_CLASS_UDHI = 0x40;

export interface EncodedMessage {
  dataCoding: typeof DATA_CODING_GSM | typeof DATA_CODING_UCS2;
  esmClass: 0 | typeof ESM_CLASS_UDHI;
  /** Each part's short_message, the 6-byte concatenation header first when there are several. */
  parts: Buffer[];
}

// Each character of the alphabet as the septets it is sent as: its code, or ESC and its code.
const GSM_SEPTETS = new Map<string, readonly number[]>([
  ...[...GSM_BASIC].flatMap((char, code) =>
    code === GSM_ESCAPE ? [] : [[char, [code]] as [string, number[]]],
  ),
  ...[...GSM_EXTENSION].map(([char, code]) => [char, [GSM_ESCAPE, code]] as [string, number[]]),
]);
const GSM_BY_EXTENSION_CODE = new Map([...GSM_EXTENSION].map(([char, code]) => [code, char]));

/**
 * A message as its submit_sm parts: GSM 03.38 when every character is in the alphabet, else UCS-2;
 * one part up to 160 septets or 70 UTF-16 units, else parts of 153 or 67 behind a concatenation
 * header carrying `reference & 0xff`. No part splits an escape pair or a surrogate pair. An empty
 * text has no parts, as it has no segments.
 */
export function encodeMessage(text: string, reference: number): EncodedMessage {
  const septets = gsmCharacters(text);
  const groups = septets
    ? pack(septets, GSM_SINGLE_LIMIT, GSM_PART_LIMIT)
    : pack(ucs2Characters(text), UCS_SINGLE_LIMIT, UCS_PART_LIMIT);
  const bytes = septets ? (group: number[]) => Buffer.from(group) : ucs2Bytes;
  const dataCoding = septets ? DATA_CODING_GSM : DATA_CODING_UCS2;
  if (groups.length <= 1) return { dataCoding, esmClass: 0, parts: groups.map(bytes) };
  return {
    dataCoding,
    esmClass: ESM_CLASS_UDHI,
    parts: groups.map((group, index) =>
      Buffer.concat([concatenationHeader(reference, groups.length, index + 1), bytes(group)]),
    ),
  };
}

/** Each character's septets, or null when one is outside the GSM 03.38 alphabet. */
function gsmCharacters(text: string): (readonly number[])[] | null {
  const characters: (readonly number[])[] = [];
  for (const char of text) {
    const septets = GSM_SEPTETS.get(char);
    if (!septets) return null;
    characters.push(septets);
  }
  return characters;
}

/** Each character's UTF-16 units: a well-formed surrogate pair stays one character, as countSegments keeps it. */
function ucs2Characters(text: string): (readonly number[])[] {
  return [...text].map((char) =>
    char.length === 2 ? [char.charCodeAt(0), char.charCodeAt(1)] : [char.charCodeAt(0)],
  );
}

/** Characters into parts: all in one when they fit `single`, else in parts of at most `part` units. */
function pack(characters: (readonly number[])[], single: number, part: number): number[][] {
  const units = characters.flat();
  if (units.length === 0) return [];
  if (units.length <= single) return [units];
  const parts: number[][] = [[]];
  for (const character of characters) {
    if (parts[parts.length - 1].length + character.length > part) parts.push([]);
    parts[parts.length - 1].push(...character);
  }
  return parts;
}

function ucs2Bytes(units: number[]): Buffer {
  const bytes = Buffer.alloc(units.length * 2);
  units.forEach((unit, index) => bytes.writeUInt16BE(unit, index * 2));
  return bytes;
}

/** The 8-bit concatenation information element: `05 00 03 ref total part`. */
function concatenationHeader(reference: number, total: number, part: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, part]);
}

/**
 * GSM 03.38 unpacked septets as text. A byte above 0x7F, ESC ESC and a trailing ESC become `?`; ESC
 * before a code the extension table lacks reads that code in the basic table (3GPP TS 23.038 §6.2.1.1).
 */
export function decodeGsm(bytes: Buffer): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== GSM_ESCAPE) {
      text += basicCharacter(bytes[i]);
    } else if (i + 1 < bytes.length) {
      const code = bytes[++i];
      text += GSM_BY_EXTENSION_CODE.get(code) ?? basicCharacter(code);
    } else {
      text += '?';
    }
  }
  return text;
}

function basicCharacter(code: number): string {
  return code < GSM_BASIC.length && code !== GSM_ESCAPE ? GSM_BASIC[code] : '?';
}

/**
 * UCS-2 (UTF-16 big-endian) as text that PostgreSQL can store: an odd last byte, a lone surrogate
 * and NUL become `?`.
 */
export function decodeUcs2(bytes: Buffer): string {
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 2));
  const text = Buffer.from(whole).swap16().toString('utf16le');
  return storableText(bytes.length % 2 ? `${text}?` : text);
}

/**
 * A short_message or message_payload as text by its data_coding, as the smpp package reads them: 0
 * and 1 (IA5, which SMSCs fill with GSM) as GSM 03.38, 8 as UCS-2, 3 and any other as Latin-1, one
 * character per byte, so an unexpected coding still keeps the message, garbled rather than lost.
 */
export function decodeMessage(bytes: Buffer, dataCoding: number): string {
  if (dataCoding === DATA_CODING_GSM || dataCoding === DATA_CODING_IA5) return decodeGsm(bytes);
  if (dataCoding === DATA_CODING_UCS2) return decodeUcs2(bytes);
  return storableText(bytes.toString('latin1'));
}

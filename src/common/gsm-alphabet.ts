// The GSM 03.38 alphabet (3GPP TS 23.038 §6.2.1) and the room in one SMS: shared by what users are
// billed (template/segments.ts) and what the SMPP adapter sends (sms/smpp/smpp-encoding.ts), which
// must agree part for part and may not import each other.

/** ESC: the next septet is read in the extension table, so an extension character costs two. */
export const GSM_ESCAPE = 0x1b;

/** The basic table in code order 0x00..0x7F; position 0x1B holds ESC itself, which is no character. */
export const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

/** The extension table: each character and its code after ESC. */
export const GSM_EXTENSION: ReadonlyMap<string, number> = new Map([
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
]);

/** Septets in a message sent alone. */
export const GSM_SINGLE_LIMIT = 160;
/** Septets in each part of a concatenated message, which loses room to the 6-byte user data header. */
export const GSM_PART_LIMIT = 153;
/** UTF-16 code units in a UCS-2 message sent alone. */
export const UCS_SINGLE_LIMIT = 70;
/** UTF-16 code units in each part of a concatenated UCS-2 message. */
export const UCS_PART_LIMIT = 67;

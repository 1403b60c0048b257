// Checks the submit_sm bytes against GSM 03.38, UCS-2 and the concatenation header, and the lenient
// decoding of what an SMSC delivers. test/integration/smpp-encoding-parity.spec.ts checks that the
// parts are the segments users are billed (countSegments), which src/sms may not import.
import { decodeGsm, decodeMessage, decodeUcs2, encodeMessage } from './smpp-encoding';

const a = (n: number): string => 'a'.repeat(n);
const zh = (n: number): string => 'ж'.repeat(n); // Cyrillic: BMP, not in GSM 03.38
const EMOJI = '😀'; // U+1F600, the surrogate pair D83D DE00
const hex = (bytes: Buffer): string => bytes.toString('hex');

// The smpp package's own GSM 03.38 coder, written independently of ours: an oracle for the table.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { gsmCoder } = require('smpp/lib/defs') as {
  gsmCoder: { encode(text: string, table: 0): Buffer };
};
const GSM_ALPHABET =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà\f^{}\\[~]|€';

/** A part's text bytes, without its concatenation header when the message is split. */
const body = (part: Buffer, split: boolean): Buffer => (split ? part.subarray(6) : part);

describe('encodeMessage', () => {
  it.each<[string, string, 0 | 8, number[]]>([
    ['one GSM character', 'a', 0, [1]],
    ['160 GSM septets in one part', a(160), 0, [160]],
    ['161 GSM septets in two', a(161), 0, [153, 8]],
    ['an extension character costs two septets', '€'.repeat(80), 0, [160]],
    ['81 euro signs (162 septets)', '€'.repeat(81), 0, [152, 10]],
    ['151 a + { filling part one exactly', a(151) + '{' + a(10), 0, [153, 10]],
    ['152 a + { pushed whole to part two', a(152) + '{' + a(10), 0, [152, 12]],
    ['lowercase c-cedilla is not GSM', 'ça va', 8, [10]],
    ['70 UCS-2 units in one part', zh(70), 8, [140]],
    ['71 UCS-2 units in two', zh(71), 8, [134, 8]],
    ['an emoji is two UCS-2 units', EMOJI.repeat(35), 8, [140]],
    ['66 ж + emoji + 3 ж: the emoji starts part two', zh(66) + EMOJI + zh(3), 8, [132, 10]],
    ['GSM text before a Cyrillic char goes UCS-2', a(134) + 'ж', 8, [134, 134, 2]],
  ])('encodes %s', (_case, text, dataCoding, textBytes) => {
    const message = encodeMessage(text, 1);
    const split = textBytes.length > 1;
    expect(message.dataCoding).toBe(dataCoding);
    expect(message.esmClass).toBe(split ? 0x40 : 0);
    expect(message.parts.map((part) => body(part, split).length)).toEqual(textBytes);
  });

  it('sends GSM as one byte per septet, extension characters after ESC', () => {
    const { parts } = encodeMessage('@Δ_Æà€{\\|', 0);
    expect(hex(parts[0])).toBe(
      '00' + '10' + '11' + '1c' + '7f' + '1b65' + '1b28' + '1b2f' + '1b40',
    );
  });

  it('sends UCS-2 big-endian, an emoji as its surrogate pair', () => {
    const { parts } = encodeMessage('жa' + EMOJI, 0);
    expect(hex(parts[0])).toBe('0436' + '0061' + 'd83dde00');
  });

  it('agrees with the smpp package on every character of the GSM alphabet', () => {
    expect(hex(encodeMessage(GSM_ALPHABET, 0).parts[0])).toBe(
      hex(gsmCoder.encode(GSM_ALPHABET, 0)),
    );
  });

  it('numbers the parts behind `05 00 03 ref total part`', () => {
    const { parts } = encodeMessage(a(400), 0x2a);
    expect(parts.map((part) => hex(part.subarray(0, 6)))).toEqual([
      '0500032a0301',
      '0500032a0302',
      '0500032a0303',
    ]);
  });

  it.each([
    [255, 'ff'],
    [256, '00'],
    [0x1ab, 'ab'],
  ])('keeps the low byte of reference %i', (reference, byte) => {
    expect(hex(encodeMessage(zh(71), reference).parts[1].subarray(3, 4))).toBe(byte);
  });

  it('never splits an escape pair: part two opens with ESC {', () => {
    const { parts } = encodeMessage(a(152) + '{' + a(10), 0);
    expect(hex(parts[1].subarray(6, 8))).toBe('1b28');
  });

  it('never splits a surrogate pair: part two opens with the whole emoji', () => {
    const { parts } = encodeMessage(zh(66) + EMOJI + zh(3), 0);
    expect(hex(parts[1].subarray(6, 10))).toBe('d83dde00');
  });

  it('has no part for an empty text, which has no segment', () => {
    expect(encodeMessage('', 0)).toEqual({ dataCoding: 0, esmClass: 0, parts: [] });
  });
});

describe('decodeGsm', () => {
  it('reads every character of the alphabet back', () => {
    expect(decodeGsm(gsmCoder.encode(GSM_ALPHABET, 0))).toBe(GSM_ALPHABET);
  });

  it.each<[string, string, string]>([
    ['a byte above 0x7F', '41ff42', 'A?B'],
    ['a trailing ESC', '411b', 'A?'],
    ['ESC ESC', '1b1b41', '?A'],
    ['ESC before a code outside the extension table (read in the basic table)', '1b41', 'A'],
    ['no bytes', '', ''],
  ])('reads %s leniently', (_case, bytes, text) => {
    expect(decodeGsm(Buffer.from(bytes, 'hex'))).toBe(text);
  });
});

describe('decodeUcs2', () => {
  it('reads UCS-2 big-endian back, surrogate pairs included', () => {
    const text = 'Привет 😀 €';
    expect(decodeUcs2(encodeMessage(text, 0).parts[0])).toBe(text);
  });

  it.each<[string, string, string]>([
    ['an odd last byte', '0041' + '42', 'A?'],
    ['a lone high surrogate', 'd83d0041', '?A'],
    ['a lone low surrogate', 'de00', '?'],
    ['NUL, which PostgreSQL cannot store', '00410000', 'A?'],
  ])('reads %s leniently', (_case, bytes, text) => {
    expect(decodeUcs2(Buffer.from(bytes, 'hex'))).toBe(text);
  });
});

describe('decodeMessage', () => {
  it.each<[number, string, string]>([
    [0, '00411b65', '@A€'],
    [1, '00411b65', '@A€'],
    [3, '41e9a4', 'Aé¤'],
    [8, '04360041', 'жA'],
    [4, '41e900', 'Aé?'],
  ])('reads data_coding %i', (dataCoding, bytes, text) => {
    expect(decodeMessage(Buffer.from(bytes, 'hex'), dataCoding)).toBe(text);
  });
});

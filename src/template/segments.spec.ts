// Checks SMS encoding detection and segment counting against GSM 03.38 and the UCS-2 concatenation limits.
import { countSegments, type SmsEncoding } from './segments';

const a = (n: number): string => 'a'.repeat(n);
const zh = (n: number): string => 'ж'.repeat(n); // Cyrillic: BMP, not in GSM 03.38
const EMOJI = '😀'; // a surrogate pair: 2 UTF-16 units

// GSM 03.38 basic table written by code position from the standard (null = 0x1B ESC, not a character), independent of the source.
// prettier-ignore
const GSM_BASIC_CODE_POINTS: (number | null)[] = [
  0x40, 0xa3, 0x24, 0xa5, 0xe8, 0xe9, 0xf9, 0xec, 0xf2, 0xc7, 0x0a, 0xd8, 0xf8, 0x0d, 0xc5, 0xe5,
  0x394, 0x5f, 0x3a6, 0x393, 0x39b, 0x3a9, 0x3a0, 0x3a8, 0x3a3, 0x398, 0x39e, null, 0xc6, 0xe6, 0xdf, 0xc9,
  0x20, 0x21, 0x22, 0x23, 0xa4, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
  0xa1, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
  0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0xc4, 0xd6, 0xd1, 0xdc, 0xa7,
  0xbf, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
  0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0xe4, 0xf6, 0xf1, 0xfc, 0xe0,
];
// Extension table: form feed ^ { } \ [ ~ ] | €
const GSM_EXTENSION_CODE_POINTS = [0x0c, 0x5e, 0x7b, 0x7d, 0x5c, 0x5b, 0x7e, 0x5d, 0x7c, 0x20ac];

const basic = GSM_BASIC_CODE_POINTS.filter((c): c is number => c !== null);

describe('countSegments', () => {
  it.each<[string, string, SmsEncoding, number, number]>([
    ['empty text', '', 'GSM-7', 0, 0],
    ['one GSM character', 'a', 'GSM-7', 1, 1],
    ['160 GSM septets', a(160), 'GSM-7', 160, 1],
    ['161 GSM septets', a(161), 'GSM-7', 161, 2],
    ['306 GSM septets', a(306), 'GSM-7', 306, 2],
    ['307 GSM septets', a(307), 'GSM-7', 307, 3],
    ['459 GSM septets', a(459), 'GSM-7', 459, 3],
    ['460 GSM septets', a(460), 'GSM-7', 460, 4],
    ['80 euro signs (160 septets)', '€'.repeat(80), 'GSM-7', 160, 1],
    ['81 euro signs (162 septets)', '€'.repeat(81), 'GSM-7', 162, 2],
    ['159 a + one extension char (161 septets)', a(159) + '{', 'GSM-7', 161, 2],
    ['151 a + { filling part one exactly', a(151) + '{' + a(10), 'GSM-7', 163, 2],
    ['152 a + { pushed whole to part two', a(152) + '{' + a(10), 'GSM-7', 164, 2],
    ['152 a + { + 152 a (naive split says 2)', a(152) + '{' + a(152), 'GSM-7', 306, 3],
    ['151 a + { + 153 a (exactly 2 full parts)', a(151) + '{' + a(153), 'GSM-7', 306, 2],
    ['extension chars of every kind', '^{}\\[~]|€\f', 'GSM-7', 20, 1],
    ['capital C-cedilla', 'Ça va', 'GSM-7', 5, 1],
    ['Greek capitals in the basic table', 'ΔΦΓΛΩΠΨΣΘΞ', 'GSM-7', 10, 1],
    ['newline and carriage return', 'a\r\nb', 'GSM-7', 4, 1],
    ['lowercase c-cedilla', 'ça va', 'UCS-2', 5, 1],
    ['a single Cyrillic char switches to UCS-2', a(10) + 'ж', 'UCS-2', 11, 1],
    ['a single emoji switches to UCS-2', 'hi ' + EMOJI, 'UCS-2', 5, 1],
    ['70 UCS-2 units', zh(70), 'UCS-2', 70, 1],
    ['71 UCS-2 units', zh(71), 'UCS-2', 71, 2],
    ['134 UCS-2 units', zh(134), 'UCS-2', 134, 2],
    ['135 UCS-2 units', zh(135), 'UCS-2', 135, 3],
    ['201 UCS-2 units', zh(201), 'UCS-2', 201, 3],
    ['202 UCS-2 units', zh(202), 'UCS-2', 202, 4],
    ['extension chars count 1 unit in UCS-2', '€'.repeat(70) + 'ж', 'UCS-2', 71, 2],
    ['35 emoji (70 units)', EMOJI.repeat(35), 'UCS-2', 70, 1],
    ['36 emoji (72 units)', EMOJI.repeat(36), 'UCS-2', 72, 2],
    ['66 ж + emoji in one message', zh(66) + EMOJI, 'UCS-2', 68, 1],
    ['66 ж + emoji + 3 ж: emoji starts part two', zh(66) + EMOJI + zh(3), 'UCS-2', 71, 2],
    ['66 ж + emoji + 66 ж (naive split says 2)', zh(66) + EMOJI + zh(66), 'UCS-2', 134, 3],
    ['65 ж + emoji + 67 ж (exactly 2 full parts)', zh(65) + EMOJI + zh(67), 'UCS-2', 134, 2],
    ['133 GSM chars then an emoji', a(133) + EMOJI, 'UCS-2', 135, 3],
    ['134 GSM chars then ж', a(134) + 'ж', 'UCS-2', 135, 3],
    ['200 GSM chars then ж', a(200) + 'ж', 'UCS-2', 201, 3],
    ['a lone high surrogate', '\ud83d', 'UCS-2', 1, 1],
    [
      'a lone surrogate does not pair with the next char',
      zh(66) + '\ud83d' + zh(67),
      'UCS-2',
      134,
      2,
    ],
    ['ESC itself', '\u001b', 'UCS-2', 1, 1],
    ['a backtick', '`', 'UCS-2', 1, 1],
    ['a tab', '\t', 'UCS-2', 1, 1],
    ['a non-breaking space', '\u00a0', 'UCS-2', 1, 1],
    ['curly quotes', '\u2019', 'UCS-2', 1, 1],
    ['lowercase Greek', 'ω', 'UCS-2', 1, 1],
    ['accents outside the table', 'á', 'UCS-2', 1, 1],
  ])('counts %s', (_case, text, encoding, characters, segments) => {
    expect(countSegments(text)).toEqual({ encoding, characters, segments });
  });

  it('has 127 basic characters (128 positions minus ESC)', () => {
    expect(basic).toHaveLength(127);
    expect(new Set(basic).size).toBe(127);
  });

  it.each(basic.map((c) => [c.toString(16).padStart(4, '0'), String.fromCharCode(c)]))(
    'counts basic U+%s as 1 septet',
    (_hex, char) => {
      expect(countSegments(char)).toEqual({ encoding: 'GSM-7', characters: 1, segments: 1 });
    },
  );

  it.each(
    GSM_EXTENSION_CODE_POINTS.map((c) => [c.toString(16).padStart(4, '0'), String.fromCharCode(c)]),
  )('counts extension U+%s as 2 septets', (_hex, char) => {
    expect(countSegments(char)).toEqual({ encoding: 'GSM-7', characters: 2, segments: 1 });
  });

  it('treats every other UTF-16 code unit as UCS-2', () => {
    const gsm = new Set<number>([...basic, ...GSM_EXTENSION_CODE_POINTS]);
    const wrong: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      if (gsm.has(c)) continue;
      if (countSegments(String.fromCharCode(c)).encoding !== 'UCS-2') wrong.push(c);
    }
    expect(wrong).toEqual([]);
  });
});

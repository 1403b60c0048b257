// The SMPP parts of any text are the segments its users are billed and previewed: countSegments
// (src/template) and encodeMessage (src/sms) are peers that may not import each other, so only a
// test outside src/ can hold them side by side. Pure: no database or Redis.
import fc from 'fast-check';
import { GSM_BASIC, GSM_ESCAPE, GSM_EXTENSION } from '../../src/common/gsm-alphabet';
import { storableText } from '../../src/common/text';
import { decodeGsm, decodeUcs2, encodeMessage } from '../../src/sms/smpp/smpp-encoding';
import { countSegments } from '../../src/template/segments';

const GSM_CHARACTERS = [
  ...[...GSM_BASIC].filter((_char, code) => code !== GSM_ESCAPE),
  ...GSM_EXTENSION.keys(),
];
// Outside the alphabet: BMP letters, ESC itself, an emoji (a surrogate pair) and lone surrogates.
const OTHER_CHARACTERS = ['ж', 'ç', '`', '\t', '\u001b', '😀', '\ud83d', '\ude00'];

const text = (characters: fc.Arbitrary<string>, maxLength: number): fc.Arbitrary<string> =>
  fc.array(characters, { maxLength, size: 'max' }).map((chars) => chars.join(''));
const TEXTS = fc.oneof(
  text(fc.constantFrom(...GSM_CHARACTERS), 500),
  text(fc.oneof(fc.constantFrom(...GSM_CHARACTERS), fc.constantFrom(...OTHER_CHARACTERS)), 400),
  // Long GSM runs with the odd extension character, where escape pairs meet part boundaries.
  text(fc.oneof({ arbitrary: fc.constant('a'), weight: 20 }, fc.constant('€')), 700),
);

/** The text back from its parts, each part's concatenation header dropped. */
function decoded(message: ReturnType<typeof encodeMessage>): string {
  const headerLength = message.esmClass === 0x40 ? 6 : 0;
  const bytes = Buffer.concat(message.parts.map((part) => part.subarray(headerLength)));
  return message.dataCoding === 0 ? decodeGsm(bytes) : decodeUcs2(bytes);
}

describe('encodeMessage and countSegments', () => {
  it('agree on the encoding and the number of parts, and the parts hold the text', () => {
    fc.assert(
      fc.property(TEXTS, (value) => {
        const { encoding, segments } = countSegments(value);
        const message = encodeMessage(value, 9);
        expect(message.dataCoding).toBe(encoding === 'GSM-7' ? 0 : 8);
        expect(message.parts).toHaveLength(segments);
        // Lone surrogates cannot be stored, so they come back as `?`.
        expect(decoded(message)).toBe(storableText(value));
      }),
      { numRuns: 500 },
    );
  });
});

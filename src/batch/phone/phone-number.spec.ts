// Checks E.164 normalisation of recipients' phone numbers and that the regex cache patched into
// libphonenumber-js is installed and changes no answer.
import { dirname, join } from 'node:path';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { normalizePhoneNumber, normalizePhoneNumbers, type PhoneParseResult } from './phone-number';
import { installRegexCache } from './libphonenumber-regex-cache';

const INVALID = { problem: 'is not a valid phone number' };
const NO_COUNTRY = { problem: expect.stringContaining('has no country code') };
const EMPTY = { problem: 'is empty' };
const EXTENSION = { problem: expect.stringContaining('extension') };

describe('normalizePhoneNumber', () => {
  it.each<[string, string, CountryCode | undefined, PhoneParseResult]>([
    ['a US number with spaces and dashes', '+1 202-555-0123', undefined, { e164: '+12025550123' }],
    ['a UK mobile with spaces', '+44 7911 123456', undefined, { e164: '+447911123456' }],
    ['a French mobile in pairs', '+33 6 12 34 56 78', undefined, { e164: '+33612345678' }],
    ['a number already in E.164', '+12025550123', undefined, { e164: '+12025550123' }],
    ['a number with parentheses', '+1 (800) 555-0199', undefined, { e164: '+18005550199' }],
    ['a German fixed line', '+49 30 123456', undefined, { e164: '+4930123456' }],
    ['surrounding whitespace', '  +44 7911 123456\t', undefined, { e164: '+447911123456' }],
    ['a national number with US as default', '(202) 555-0123', 'US', { e164: '+12025550123' }],
    ['a national number with GB as default', '020 7946 0958', 'GB', { e164: '+442079460958' }],
    ['a "+" number ignores the default country', '+12025550123', 'GB', { e164: '+12025550123' }],
    ['a US number one digit short', '+1202555019', undefined, INVALID],
    ['a US number one digit long', '+1 202 555 01234', undefined, INVALID],
    ['an unassigned country code', '+999 1234', undefined, INVALID],
    ['a doubled plus', '++12025550123', undefined, INVALID],
    ['letters with a default country', 'abc', 'US', INVALID],
    ['letters without a default country', 'abc', undefined, NO_COUNTRY],
    ['a national number without a default country', '(202) 555-0123', undefined, NO_COUNTRY],
    ['a tel: URI without a default country', 'tel:+12025550123', undefined, NO_COUNTRY],
    ['an empty string', '', undefined, EMPTY],
    ['only whitespace', ' \t\n ', undefined, EMPTY],
    ['only whitespace with a default country', '   ', 'US', EMPTY],
    ['an "ext." extension', '+1 202-555-0123 ext. 5', undefined, EXTENSION],
    ['an RFC 3966 extension', '+12025550123;ext=5', undefined, EXTENSION],
    ['an "x" extension on a national number', '202-555-0123 x12', 'US', EXTENSION],
    ['text after the number', '+1 202 555 0123abc', undefined, INVALID],
    ['words after a national number', '202 555 0123 please', 'US', INVALID],
  ])('%s: %j (default %s)', (_case, raw, defaultCountry, expected) => {
    expect(normalizePhoneNumber(raw, defaultCountry)).toEqual(expected);
  });
});

describe('normalizePhoneNumbers', () => {
  it.each<[string, string[], CountryCode | undefined, PhoneParseResult[]]>([
    ['no numbers', [], undefined, []],
    [
      'input order kept, valid and invalid mixed',
      ['+44 7911 123456', 'abc', '+1 202-555-0123', '', '+33 6 12 34 56 78'],
      undefined,
      [
        { e164: '+447911123456' },
        NO_COUNTRY,
        { e164: '+12025550123' },
        EMPTY,
        { e164: '+33612345678' },
      ],
    ],
    [
      'repeated inputs answered alike at each position',
      ['+1 202-555-0123', '+1202555019', '+1 202-555-0123', '+1202555019', '+1 202-555-0123'],
      undefined,
      [
        { e164: '+12025550123' },
        INVALID,
        { e164: '+12025550123' },
        INVALID,
        { e164: '+12025550123' },
      ],
    ],
    [
      'different spellings of one number each normalised',
      ['(202) 555-0123', '+1 202 555 0123', '202.555.0123'],
      'US',
      [{ e164: '+12025550123' }, { e164: '+12025550123' }, { e164: '+12025550123' }],
    ],
    [
      'the default country applies to every item',
      ['(202) 555-0123', '+44 7911 123456'],
      undefined,
      [NO_COUNTRY, { e164: '+447911123456' }],
    ],
  ])('%s', (_case, raws, defaultCountry, expected) => {
    expect(normalizePhoneNumbers(raws, defaultCountry)).toEqual(expected);
  });

  it.each<[string, string[]]>([
    ['one number', ['+1 202-555-0123']],
    ['a mixed list', ['+44 7911 123456', 'abc', '', '+12025550123;ext=5', '+1202555019']],
  ])('answers like normalizePhoneNumber item by item: %s', (_case, raws) => {
    expect(normalizePhoneNumbers(raws)).toEqual(raws.map((raw) => normalizePhoneNumber(raw)));
  });
});

// The unpatched copies are loaded in a separate module registry (jest.isolateModules), hence require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(id: string): T => require(id) as T;

describe('installRegexCache', () => {
  const helperPath = join(
    dirname(require.resolve('libphonenumber-js')),
    'build',
    'helpers',
    'matchesEntirely.js',
  );

  it.each([['first call'], ['repeated call']])(
    'reports the cache as installed (%s); fails if a libphonenumber-js upgrade moves the helper',
    () => {
      expect(installRegexCache()).toBe(true);
    },
  );

  it('replaces the helper libphonenumber-js calls, compared with a fresh unpatched load', () => {
    installRegexCache();
    const patched = load<{ default: unknown }>(helperPath).default;
    let fresh: unknown;
    jest.isolateModules(() => {
      fresh = load<{ default: unknown }>(helperPath).default;
    });
    expect(typeof fresh).toBe('function');
    expect(patched).not.toBe(fresh);
  });

  // Varied on purpose: several countries, types (mobile, fixed, toll-free), national formats, extensions, invalid.
  const SAMPLE: [string, CountryCode | undefined][] = [
    ['+1 202-555-0123', undefined],
    ['+1 (800) 555-0199', undefined],
    ['+44 7911 123456', undefined],
    ['+44 20 7946 0958', undefined],
    ['+33 6 12 34 56 78', undefined],
    ['+49 30 123456', undefined],
    ['+61 2 9374 4000', undefined],
    ['+81 3-1234-5678', undefined],
    ['+7 912 345-67-89', undefined],
    ['+1202555019', undefined],
    ['+999 1234', undefined],
    ['+1 202-555-0123 ext. 5', undefined],
    ['(202) 555-0123', 'US'],
    ['020 7946 0958', 'GB'],
    ['06 12 34 56 78', 'FR'],
    ['abc', 'US'],
    ['202-555-0123 x12', 'US'],
  ];

  type Summary =
    { valid: boolean; number?: string; country?: string; type?: string; ext?: string } | undefined;
  type Parse = (
    text: string,
    options?: { defaultCountry?: CountryCode },
  ) =>
    | {
        isValid(): boolean;
        number: string;
        country?: string;
        getType(): string | undefined;
        ext?: string;
      }
    | undefined;
  const summarise = (parse: Parse, raw: string, defaultCountry?: CountryCode): Summary => {
    const parsed = parse(raw, defaultCountry ? { defaultCountry } : undefined);
    return parsed
      ? {
          valid: parsed.isValid(),
          number: parsed.number,
          country: parsed.country,
          type: parsed.getType(),
          ext: parsed.ext,
        }
      : undefined;
  };

  let unpatchedParse: Parse;
  beforeAll(() => {
    jest.isolateModules(() => {
      unpatchedParse = load<{ parsePhoneNumberFromString: Parse }>(
        'libphonenumber-js/max',
      ).parsePhoneNumberFromString;
    });
  });

  it.each(SAMPLE)(
    'parses %j (default %s) exactly as an unpatched libphonenumber-js',
    (raw, defaultCountry) => {
      installRegexCache();
      const patchedParse: Parse = parsePhoneNumberFromString;
      expect(patchedParse).not.toBe(unpatchedParse);
      expect(summarise(patchedParse, raw, defaultCountry)).toEqual(
        summarise(unpatchedParse, raw, defaultCountry),
      );
    },
  );

  it.each<[string, string, string | undefined]>([
    ['+1 202-555-0123', '+12025550123', undefined],
    ['+44 7911 123456', '+447911123456', 'MOBILE'],
    ['+33 6 12 34 56 78', '+33612345678', 'MOBILE'],
    ['+44 20 7946 0958', '+442079460958', 'FIXED_LINE'],
    ['+1 (800) 555-0199', '+18005550199', 'TOLL_FREE'],
  ])('with the cache, %j is valid as %s (type %s)', (raw, e164, type) => {
    installRegexCache();
    const parsed = parsePhoneNumberFromString(raw);
    expect(parsed?.isValid()).toBe(true);
    expect(parsed?.number).toBe(e164);
    if (type) expect(parsed?.getType()).toBe(type);
  });
});

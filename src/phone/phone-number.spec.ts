// Checks E.164 normalisation of recipients' phone numbers (with the country and type the destination
// rules read) and that the regex cache patched into libphonenumber-js is installed and changes no answer.
import { dirname, join } from 'node:path';
import {
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';
import { normalizePhoneNumber, normalizePhoneNumbers, type PhoneParseResult } from './phone-number';
import { installRegexCache } from './libphonenumber-regex-cache';

const INVALID = { problem: 'is not a valid phone number' };
const US_202 = { country: 'US', type: 'FIXED_LINE_OR_MOBILE' } as const;
const NO_COUNTRY = { problem: expect.stringContaining('has no country code') };
const EMPTY = { problem: 'is empty' };
const EXTENSION = { problem: expect.stringContaining('extension') };

describe('normalizePhoneNumber', () => {
  it.each<[string, string, CountryCode | undefined, PhoneParseResult]>([
    [
      'a US number with spaces and dashes',
      '+1 202-555-0123',
      undefined,
      { e164: '+12025550123', ...US_202 },
    ],
    [
      'a UK mobile with spaces',
      '+44 7911 123456',
      undefined,
      { e164: '+447911123456', country: 'GG', type: 'MOBILE' },
    ],
    [
      'a French mobile in pairs',
      '+33 6 12 34 56 78',
      undefined,
      { e164: '+33612345678', country: 'FR', type: 'MOBILE' },
    ],
    ['a number already in E.164', '+12025550123', undefined, { e164: '+12025550123', ...US_202 }],
    [
      'a number with parentheses',
      '+1 (800) 555-0199',
      undefined,
      { e164: '+18005550199', country: 'US', type: 'TOLL_FREE' },
    ],
    [
      'a German fixed line',
      '+49 30 123456',
      undefined,
      { e164: '+4930123456', country: 'DE', type: 'FIXED_LINE' },
    ],
    [
      'surrounding whitespace',
      '  +44 7911 123456\t',
      undefined,
      { e164: '+447911123456', country: 'GG', type: 'MOBILE' },
    ],
    [
      'a national number with US as default',
      '(202) 555-0123',
      'US',
      { e164: '+12025550123', ...US_202 },
    ],
    [
      'a national number with GB as default',
      '020 7946 0958',
      'GB',
      { e164: '+442079460958', country: 'GB', type: 'FIXED_LINE' },
    ],
    [
      'a "+" number ignores the default country',
      '+12025550123',
      'GB',
      { e164: '+12025550123', ...US_202 },
    ],
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
        { e164: '+447911123456', country: 'GG', type: 'MOBILE' },
        NO_COUNTRY,
        { e164: '+12025550123', ...US_202 },
        EMPTY,
        { e164: '+33612345678', country: 'FR', type: 'MOBILE' },
      ],
    ],
    [
      'repeated inputs answered alike at each position',
      ['+1 202-555-0123', '+1202555019', '+1 202-555-0123', '+1202555019', '+1 202-555-0123'],
      undefined,
      [
        { e164: '+12025550123', ...US_202 },
        INVALID,
        { e164: '+12025550123', ...US_202 },
        INVALID,
        { e164: '+12025550123', ...US_202 },
      ],
    ],
    [
      'different spellings of one number each normalised',
      ['(202) 555-0123', '+1 202 555 0123', '202.555.0123'],
      'US',
      [
        { e164: '+12025550123', ...US_202 },
        { e164: '+12025550123', ...US_202 },
        { e164: '+12025550123', ...US_202 },
      ],
    ],
    [
      'the default country applies to every item',
      ['(202) 555-0123', '+44 7911 123456'],
      undefined,
      [NO_COUNTRY, { e164: '+447911123456', country: 'GG', type: 'MOBILE' }],
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

describe('the country and type of a parsed number (read by the destination rules)', () => {
  it.each<[string, string, string, string]>([
    ['US premium rate', '+1 900 555 0123', 'US', 'PREMIUM_RATE'],
    ['UK premium rate', '+44 909 879 0123', 'GB', 'PREMIUM_RATE'],
    ['UK 0843 (premium rate in the metadata)', '+44 843 123 4567', 'GB', 'PREMIUM_RATE'],
    ['French premium rate', '+33 8 99 12 34 56', 'FR', 'PREMIUM_RATE'],
    ['a number the simulator uses', '+12025550193', 'US', 'FIXED_LINE_OR_MOBILE'],
    ['Bahamas, in the +1 plan', '+1 242 357 1234', 'BS', 'MOBILE'],
    ['Jersey, in the +44 plan', '+44 1534 123456', 'JE', 'FIXED_LINE'],
    ['+881 (satellite): no country', '+881 234 567 890', '001', 'MOBILE'],
    ['+882 (international network): no country', '+882 16 1234 5678', '001', 'VOIP'],
    ['+883 (international network): no country', '+883 510 012345', '001', 'VOIP'],
    ['+800 (international freephone): no country', '+800 1234 5678', '001', 'TOLL_FREE'],
  ])('%s: %s is in %s, type %s', (_case, raw, country, type) => {
    expect(normalizePhoneNumber(raw)).toEqual({
      e164: `+${raw.replace(/\D/g, '')}`,
      country,
      type,
    });
  });

  // normalizePhoneNumber asks getType() instead of isValid() (the same check with "max" metadata,
  // and the type comes free). Numbers of every calling code, of every length a plan might hold,
  // drawn the same way on every run: the answer must match isValid() for each.
  it('accepts exactly the numbers isValid() accepts, for every calling code', () => {
    const callingCodes = [
      ...new Set([
        ...getCountries().map((country) => getCountryCallingCode(country)),
        '800',
        '808',
        '870',
        '881',
        '882',
        '883',
        '888',
        '979',
      ]),
    ];
    let seed = 20261130;
    const digit = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return String(seed % 10);
    };
    let valid = 0;
    let checked = 0;
    const disagreements: string[] = [];
    for (const code of callingCodes) {
      for (let length = 4; length <= 14; length++) {
        for (let draw = 0; draw < 6; draw++) {
          const raw = `+${code}${Array.from({ length }, digit).join('')}`;
          const parsed = parsePhoneNumberFromString(raw, { extract: false });
          const expected = parsed !== undefined && parsed.isValid();
          if (expected !== !('problem' in normalizePhoneNumber(raw))) disagreements.push(raw);
          if (expected) valid++;
          checked++;
        }
      }
    }
    expect(disagreements).toEqual([]);
    // A sample in which nothing is valid would prove nothing.
    expect(valid).toBeGreaterThan(checked / 50);
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

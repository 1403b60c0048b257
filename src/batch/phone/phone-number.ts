// Phone number normalisation to E.164 with libphonenumber-js's full ("max") metadata.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { installRegexCache } from './libphonenumber-regex-cache';

installRegexCache();

export type PhoneParseResult = { e164: string } | { problem: string };

/** Parses one number; without a leading `+` it needs `defaultCountry`. */
export function normalizePhoneNumber(raw: string, defaultCountry?: CountryCode): PhoneParseResult {
  const text = raw.trim();
  if (!text) return { problem: 'is empty' };
  if (!text.startsWith('+') && !defaultCountry) {
    return { problem: 'has no country code: start it with "+" (or set DEFAULT_COUNTRY)' };
  }
  // extract: false takes the whole text as the number; by default the library would pick a number
  // out of surrounding text and quietly ignore the rest ("+1 202 555 0123 call me").
  const parsed = parsePhoneNumberFromString(text, { defaultCountry, extract: false });
  if (!parsed || !parsed.isValid()) return { problem: 'is not a valid phone number' };
  if (parsed.ext) return { problem: 'has an extension, which cannot receive SMS' };
  return { e164: parsed.number };
}

/** Parses many numbers, each distinct string once; the answer keeps the input's order. */
export function normalizePhoneNumbers(
  raws: readonly string[],
  defaultCountry?: CountryCode,
): PhoneParseResult[] {
  const seen = new Map<string, PhoneParseResult>();
  return raws.map((raw) => {
    let result = seen.get(raw);
    if (!result) {
      result = normalizePhoneNumber(raw, defaultCountry);
      seen.set(raw, result);
    }
    return result;
  });
}

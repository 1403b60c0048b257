// Phone number normalisation to E.164 with libphonenumber-js's full ("max") metadata.
import {
  parsePhoneNumberFromString,
  type CountryCode,
  type NumberType,
} from 'libphonenumber-js/max';
// Type-only: loading the configuration module would cost each phone thread a quarter of a second
// at start; `typeof` still ties the literal below to the setting's name for it.
import type { NON_GEOGRAPHIC } from '../config/configuration';
import { timeZonesOf } from './phone-time-zones';
import { installRegexCache } from './libphonenumber-regex-cache';

installRegexCache();

const NO_COUNTRY: typeof NON_GEOGRAPHIC = '001';

/** A number libphonenumber-js could place; the destination rules look at its country and type. */
export interface ParsedPhoneNumber {
  e164: string;
  /** ISO 3166-1 alpha-2, or `001` (NON_GEOGRAPHIC) for +800, +808, +870, +881, +882, +883, +888, +979. */
  country: string;
  /** libphonenumber's type (MOBILE, PREMIUM_RATE, ...); absent when its metadata cannot tell. */
  type?: Exclude<NumberType, undefined>;
  /** Its zone key (phone-time-zones.ts), when asked for: the batch has a send window. */
  zones?: string;
}

export type PhoneParseResult = ParsedPhoneNumber | { problem: string };

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
  if (!parsed) return { problem: 'is not a valid phone number' };
  // With the "max" metadata isValid() is exactly `getType() !== undefined` (libphonenumber-js
  // isValid.js), so asking for the type first costs nothing; isValid() only decides the rare
  // number whose plan has no type patterns. phone-number.spec.ts holds the two to agreeing.
  const type = parsed.getType();
  if (type === undefined && !parsed.isValid()) return { problem: 'is not a valid phone number' };
  if (parsed.ext) return { problem: 'has an extension, which cannot receive SMS' };
  const result: ParsedPhoneNumber = { e164: parsed.number, country: parsed.country ?? NO_COUNTRY };
  if (type !== undefined) result.type = type;
  return result;
}

/**
 * Parses many numbers, each distinct string once; the answer keeps the input's order. With
 * `zones`, each valid number also gets its time zones (for a send window in the recipient's time).
 */
export function normalizePhoneNumbers(
  raws: readonly string[],
  defaultCountry?: CountryCode,
  zones = false,
): PhoneParseResult[] {
  const seen = new Map<string, PhoneParseResult>();
  return raws.map((raw) => {
    let result = seen.get(raw);
    if (!result) {
      result = normalizePhoneNumber(raw, defaultCountry);
      if (zones && 'e164' in result) result.zones = timeZonesOf(result.e164);
      seen.set(raw, result);
    }
    return result;
  });
}

/** A number as an error message shows it: cut, so that an answer never grows with what was sent. */
export function shownNumber(raw: string): string {
  return raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
}

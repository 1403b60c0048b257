// What must never reach a log line whole: phone numbers (personal data) and API keys (secrets).
import { getCountries, getCountryCallingCode } from 'libphonenumber-js/max';

/** Every country calling code; they form a prefix code, so at most one prefix of a number is one. */
const CALLING_CODES = new Set(getCountries().map((country) => getCountryCallingCode(country)));

/**
 * `+` (or `%2B`, URL-encoded) then 8 to 15 digits, not followed by another digit: what an E.164
 * number looks like.
 */
const E164_IN_TEXT = /(\+|%2[Bb])(\d{8,15})(?!\d)/g;

/** Salvo's keys: `salvo_` then 256 bits in base64url (43 characters). */
const API_KEY_IN_TEXT = /salvo_[A-Za-z0-9_-]{43,}/g;

/**
 * `+12025550123` -> `+1********23`: the country calling code and the last 2 digits stay, so a
 * person can still tell countries apart and match a line to a number they already know.
 * Unknown calling codes keep only their first digit.
 */
export function maskPhoneNumber(e164: string): string {
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  if (!/^\d+$/.test(digits)) return '+***';
  const callingCode =
    [3, 2, 1]
      .map((length) => digits.slice(0, length))
      .find((prefix) => CALLING_CODES.has(prefix)) ?? digits.slice(0, 1);
  const hidden = digits.length - callingCode.length - 2;
  if (hidden < 1) return `+${'*'.repeat(digits.length)}`;
  return `+${callingCode}${'*'.repeat(hidden)}${digits.slice(-2)}`;
}

/** Masks every E.164-looking number and every Salvo API key inside any text. */
export function maskSecrets(text: string): string {
  // Most log lines hold neither; skip the regular expressions for them.
  if (!/[+%]|salvo_/.test(text)) return text;
  return text
    .replace(API_KEY_IN_TEXT, 'salvo_***')
    .replace(E164_IN_TEXT, (_match, plus: string, digits: string) =>
      maskPhoneNumber(digits).replace('+', plus),
    );
}

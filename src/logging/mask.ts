// What must never reach a log line whole: phone numbers (personal data) and API keys (secrets).
import { getCountries, getCountryCallingCode } from 'libphonenumber-js/max';

/** Every country calling code; they form a prefix code, so at most one prefix of a number is one. */
const CALLING_CODES = new Set(getCountries().map((country) => getCountryCallingCode(country)));

/** What may sit between the digits of a written number: a dash, a dot, a space (or `%20`), a parenthesis. */
const SEPARATOR = String.raw`(?:[-. ()]|%20)`;

/**
 * `+` (or `%2B`, URL-encoded) then 8 to 15 digits, not followed by another digit: what an E.164
 * number looks like, also as people write it (`+1-202-555-0199`, `+44 7911 123456`).
 */
const E164_IN_TEXT = new RegExp(
  String.raw`(\+|%2[Bb])(\d(?:${SEPARATOR}{0,2}\d){7,14})(?!\d)`,
  'g',
);

/**
 * `00` then 8 to 15 digits, the international prefix dialled instead of `+` (`0012025550199`), as a
 * word of its own: not inside a longer number, a hex id or a UUID.
 */
const INTERNATIONAL_IN_TEXT = /(?<![\w%+.:-])00(\d{8,15})(?![\w-])/g;

/**
 * A query parameter whose name says it holds a credential (`api_key`, `access_token`,
 * `client_secret`, `X-Amz-Signature`...): its value is hidden whatever its shape.
 */
const CREDENTIAL_PARAMETER =
  /([?&;][\w.~%[\]-]*?(?:key|token|secret|passw(?:or)?d|auth|signature)[\w.~%[\]-]*=)[^&#\s"\\]*/gi;

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

/**
 * Masks every phone number (E.164, written with separators, or after `00`), every Salvo API key and
 * every query value of a credential-named parameter inside any text.
 */
export function maskSecrets(text: string): string {
  // Many log lines hold none of these; skip the regular expressions for them.
  if (!/[+%?&;]|salvo_|00\d/.test(text)) return text;
  return text
    .replace(CREDENTIAL_PARAMETER, '$1***')
    .replace(API_KEY_IN_TEXT, 'salvo_***')
    .replace(E164_IN_TEXT, (_match, plus: string, written: string) =>
      maskPhoneNumber(written.replace(/%20|\D/g, '')).replace('+', plus),
    )
    .replace(INTERNATIONAL_IN_TEXT, (_match, digits: string) =>
      maskPhoneNumber(digits).replace('+', '00'),
    );
}

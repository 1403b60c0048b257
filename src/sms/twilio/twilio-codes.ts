// Twilio's error codes for a create call (https://www.twilio.com/docs/api/errors) and Salvo's
// category for each, with the HTTP status as a fallback for codes not listed (README, "Connecting
// Twilio"). Receipt codes (30xxx after acceptance) have their own table in twilio-receipts.ts.
import type { ErrorCategory } from '../../errors/error-taxonomy';

const BY_CODE: Readonly<Record<string, ErrorCategory>> = {
  '21211': 'invalid_number', // invalid 'To' phone number
  '21214': 'invalid_number', // 'To' number cannot be reached
  '21612': 'invalid_number', // cannot route between this 'To' and 'From' (e.g. a landline)
  '21614': 'invalid_number', // 'To' number is not a valid mobile number
  '21610': 'opted_out', // the recipient replied STOP to this sender
  '30007': 'content_rejected', // filtered by the carrier
  '20429': 'rate_limited', // too many concurrent requests; never processed, safe to retry
  '21611': 'rate_limited', // the sender's queue holds over 10 hours of messages; slow down
  '20003': 'auth', // authentication failed
};

/**
 * The category of a Twilio rejection: by its code, else by the HTTP status (429 rate limited,
 * 401/403 auth, 5xx provider error), else unknown (the caller keeps the raw code and text).
 */
export function twilioCategory(code: string, httpStatus?: number): ErrorCategory {
  // Own keys only: a code such as "constructor" must not find Object.prototype's.
  if (Object.hasOwn(BY_CODE, code)) return BY_CODE[code];
  if (httpStatus === 429) return 'rate_limited';
  if (httpStatus === 401 || httpStatus === 403) return 'auth';
  if (httpStatus !== undefined && httpStatus >= 500 && httpStatus < 600) return 'provider_error';
  return 'unknown';
}

/** The longest Retry-After honoured: a longer one (or a far date) pauses sending this long. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * A `Retry-After` header in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3), at
 * most MAX_RETRY_AFTER_MS. Undefined when absent or unreadable (not a finite number), so the
 * limiter backs off on its own.
 */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else {
    // An HTTP date names its month; anything else (a negative number, a bare year) is unreadable.
    const at = /[A-Za-z]/.test(value) ? Date.parse(value) : NaN;
    ms = at - nowMs;
  }
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

// Twilio's error codes (https://www.twilio.com/docs/api/errors) and Salvo's category for each, with
// the HTTP status as a fallback for codes not listed. For the Twilio adapter, which will live here.
import type { ErrorCategory } from '../../errors/error-taxonomy';

const BY_CODE: Readonly<Record<string, ErrorCategory>> = {
  '21211': 'invalid_number', // invalid 'To' phone number
  '21214': 'invalid_number', // 'To' number cannot be reached
  '21612': 'invalid_number', // cannot route to this number (e.g. a landline)
  '21614': 'invalid_number', // 'To' number is not a valid mobile number
  '21610': 'opted_out', // the recipient replied STOP
  '30007': 'content_rejected', // message filtered by the carrier
  '20429': 'rate_limited', // too many requests
  '30001': 'rate_limited', // queue overflow: the sender's queue holds too much; slow down
  '20003': 'auth', // authentication failed
  '20500': 'provider_error', // internal server error
};

/**
 * The category of a Twilio rejection: by its code, else by the HTTP status (429 rate limited,
 * 401/403 auth, 5xx provider error), else unknown (the raw code and text are kept by the caller).
 */
export function twilioCategory(code: string, httpStatus?: number): ErrorCategory {
  const known = BY_CODE[code];
  if (known) return known;
  if (httpStatus === 429) return 'rate_limited';
  if (httpStatus === 401 || httpStatus === 403) return 'auth';
  if (httpStatus !== undefined && httpStatus >= 500 && httpStatus < 600) return 'provider_error';
  if (/^5\d\d$/.test(code)) return 'provider_error'; // a bare HTTP 5xx handed over as the code
  return 'unknown';
}

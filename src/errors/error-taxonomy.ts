// What a provider's rejection means. The category names are part of the API (lastError.category,
// the error log). Pure code: providers' codes in, one category out.

export const ERROR_CATEGORIES = [
  'invalid_number',
  'opted_out',
  'content_rejected',
  'rate_limited',
  'provider_error',
  'timeout',
  'auth',
  'unknown',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export interface CategoryPolicy {
  /** Whether a message that failed this way is tried again. */
  retried: boolean;
  /** Whether the call counts as an attempt (rate-limit answers do not). */
  countsAsAttempt: boolean;
  /** Attempts allowed in this category, the first included; null: RETRY_MAX_ATTEMPTS. */
  maxAttempts: number | null;
  /** Whether this failure stops the whole batch (our credentials are refused). */
  failsBatch: boolean;
}

export const CATEGORY_POLICIES: Readonly<Record<ErrorCategory, CategoryPolicy>> = {
  invalid_number: { retried: false, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
  opted_out: { retried: false, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
  content_rejected: { retried: false, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
  rate_limited: { retried: true, countsAsAttempt: false, maxAttempts: null, failsBatch: false },
  provider_error: { retried: true, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
  timeout: { retried: true, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
  auth: { retried: false, countsAsAttempt: true, maxAttempts: null, failsBatch: true },
  unknown: { retried: true, countsAsAttempt: true, maxAttempts: 2, failsBatch: false },
};

const BY_CODE: Readonly<Record<string, ErrorCategory>> = {
  // The simulator (DESIGN.md) and Salvo's own codes.
  SIM_INVALID_NUMBER: 'invalid_number',
  SIM_OPTED_OUT: 'opted_out',
  SIM_CONTENT_REJECTED: 'content_rejected',
  SIM_RATE_LIMITED: 'rate_limited',
  SIM_PROVIDER_ERROR: 'provider_error',
  SIM_AUTH: 'auth',
  TIMEOUT: 'timeout',
  PROVIDER_UNREACHABLE: 'provider_error',
  // Twilio (https://www.twilio.com/docs/api/errors), so its adapter only hands the code over.
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
 * The category of a rejection: by the provider's code, else by its HTTP status (429 rate limited,
 * 401/403 auth, 5xx provider error), else unknown (the raw code and text are kept by the caller).
 */
export function categoryOf(code: string, httpStatus?: number): ErrorCategory {
  const known = BY_CODE[code];
  if (known) return known;
  if (httpStatus === 429) return 'rate_limited';
  if (httpStatus === 401 || httpStatus === 403) return 'auth';
  if (httpStatus !== undefined && httpStatus >= 500 && httpStatus < 600) return 'provider_error';
  if (/^5\d\d$/.test(code)) return 'provider_error'; // a bare HTTP 5xx handed over as the code
  return 'unknown';
}

/**
 * Whether an answer in `category` is a failure for the error log, the error-rate guard and
 * `batch:error`. Rate-limit answers are not, unless the message ends failed with them (its
 * validity expired while it was throttled).
 */
export function isFailure(category: ErrorCategory, final: boolean): boolean {
  return category !== 'rate_limited' || final;
}

/** What retry-failed requeues when no categories are named: the failures worth another try. */
export const RETRYABLE_CATEGORIES: readonly ErrorCategory[] = ERROR_CATEGORIES.filter(
  (category) => CATEGORY_POLICIES[category].retried,
);

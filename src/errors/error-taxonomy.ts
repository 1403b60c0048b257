// What a provider's rejection means to Salvo: the categories and what each one does. The category
// names are part of the API (lastError.category, the error log). Each adapter maps its provider's
// codes to these (src/sms/<provider>/).

export const ERROR_CATEGORIES = [
  'invalid_number',
  'opted_out',
  'content_rejected',
  'rate_limited',
  'provider_error',
  'timeout',
  'auth',
  'unreachable',
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
  // The handset could not be reached: a delivery failure, which receipts report and nothing retries.
  unreachable: { retried: false, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
  unknown: { retried: true, countsAsAttempt: true, maxAttempts: 2, failsBatch: false },
};

/** A rejection as Salvo keeps it: its category, and the provider's (or Salvo's) code. */
export interface Failure {
  category: ErrorCategory;
  code: string;
}

/**
 * Salvo's code for a call that may or may not have sent an SMS, which its adapter could not
 * resolve (the provider honours no idempotency key and cannot be asked): category `unknown`, but
 * never sent again unless a user names `unknown` in retry-failed, since another call could send a
 * second SMS (docs/DECISIONS.md, "Providers as plug-ins and unknown outcomes").
 */
export const OUTCOME_UNKNOWN = 'OUTCOME_UNKNOWN';

/** Whether a failure may be tried again at all: its category's policy, but never OUTCOME_UNKNOWN. */
export function isRetried({ category, code }: Failure): boolean {
  return CATEGORY_POLICIES[category].retried && code !== OUTCOME_UNKNOWN;
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

/** Which failed messages retry-failed puts back: failures in `categories` whose code is not one of `exceptCodes`. */
export interface RetrySelection {
  categories: readonly ErrorCategory[];
  exceptCodes: readonly string[];
}

/**
 * The selection for `categories` as a user named them, or when none were named, the retryable
 * categories without the unknown outcomes (a possible duplicate is worse than a reported doubt).
 */
export function retrySelection(categories?: readonly ErrorCategory[]): RetrySelection {
  return categories
    ? { categories, exceptCodes: [] }
    : { categories: RETRYABLE_CATEGORIES, exceptCodes: [OUTCOME_UNKNOWN] };
}

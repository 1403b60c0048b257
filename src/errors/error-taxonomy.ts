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
  'unknown',
  'outcome_unknown',
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
  // Whether the provider sent it cannot be known, and it does not honour idempotency keys: another
  // call could send a second SMS (docs/DECISIONS.md, "Unknown outcomes").
  outcome_unknown: { retried: false, countsAsAttempt: true, maxAttempts: null, failsBatch: false },
};

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

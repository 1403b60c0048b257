// What a provider's rejection means. The category names are part of the API (lastError.category).
// Dispatch records the category; retries by category come with the errors issue.

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

const BY_CODE: Readonly<Record<string, ErrorCategory>> = {
  SIM_INVALID_NUMBER: 'invalid_number',
  SIM_OPTED_OUT: 'opted_out',
  SIM_CONTENT_REJECTED: 'content_rejected',
  SIM_RATE_LIMITED: 'rate_limited',
  SIM_PROVIDER_ERROR: 'provider_error',
  SIM_AUTH: 'auth',
  TIMEOUT: 'timeout',
};

export function categoryOf(code: string): ErrorCategory {
  return BY_CODE[code] ?? 'unknown';
}

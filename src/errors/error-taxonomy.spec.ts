import { CATEGORY_POLICIES, categoryOf, ERROR_CATEGORIES } from './error-taxonomy';

describe('categoryOf', () => {
  it.each<[string, number | undefined, string]>([
    ['SIM_INVALID_NUMBER', undefined, 'invalid_number'],
    ['SIM_OPTED_OUT', undefined, 'opted_out'],
    ['SIM_CONTENT_REJECTED', undefined, 'content_rejected'],
    ['SIM_RATE_LIMITED', 429, 'rate_limited'],
    ['SIM_PROVIDER_ERROR', undefined, 'provider_error'],
    ['SIM_AUTH', undefined, 'auth'],
    ['TIMEOUT', undefined, 'timeout'],
    ['PROVIDER_UNREACHABLE', undefined, 'provider_error'],
    ['21211', 400, 'invalid_number'],
    ['21214', 400, 'invalid_number'],
    ['21612', 400, 'invalid_number'],
    ['21614', 400, 'invalid_number'],
    ['21610', 400, 'opted_out'],
    ['30007', undefined, 'content_rejected'],
    ['20429', 429, 'rate_limited'],
    ['30001', undefined, 'rate_limited'],
    ['20003', 401, 'auth'],
    ['20500', 500, 'provider_error'],
    ['503', undefined, 'provider_error'],
    ['SOMETHING_NEW', 502, 'provider_error'],
    ['SOMETHING_NEW', 429, 'rate_limited'],
    ['SOMETHING_NEW', 403, 'auth'],
    ['SOMETHING_NEW', 400, 'unknown'],
    ['SOMETHING_NEW', undefined, 'unknown'],
  ])('%s (HTTP %s) is %s', (code, status, category) => {
    expect(categoryOf(code, status)).toBe(category);
  });
});

describe('CATEGORY_POLICIES', () => {
  it.each([
    ['invalid_number', false, true, false],
    ['opted_out', false, true, false],
    ['content_rejected', false, true, false],
    ['rate_limited', true, false, false],
    ['provider_error', true, true, false],
    ['timeout', true, true, false],
    ['auth', false, true, true],
    ['unknown', true, true, false],
  ] as const)(
    '%s: retried %s, an attempt %s, fails the batch %s',
    (category, retried, counts, failsBatch) => {
      expect(CATEGORY_POLICIES[category]).toMatchObject({
        retried,
        countsAsAttempt: counts,
        failsBatch,
      });
    },
  );

  it('has a policy for every category, unknown allowing 2 attempts', () => {
    expect(Object.keys(CATEGORY_POLICIES).sort()).toEqual([...ERROR_CATEGORIES].sort());
    expect(CATEGORY_POLICIES.unknown.maxAttempts).toBe(2);
  });
});

import { CATEGORY_POLICIES, ERROR_CATEGORIES, RETRYABLE_CATEGORIES } from './error-taxonomy';

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
    ['outcome_unknown', false, true, false],
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

  it("leaves out of retry-failed's defaults what is never retried, outcome_unknown included", () => {
    expect(RETRYABLE_CATEGORIES).toEqual(['rate_limited', 'provider_error', 'timeout', 'unknown']);
  });
});

import {
  CATEGORY_POLICIES,
  ERROR_CATEGORIES,
  isRetried,
  OUTCOME_UNKNOWN,
  RETRYABLE_CATEGORIES,
  retrySelection,
} from './error-taxonomy';

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

  it("takes into retry-failed's defaults the categories that are retried", () => {
    expect(RETRYABLE_CATEGORIES).toEqual(['rate_limited', 'provider_error', 'timeout', 'unknown']);
  });
});

describe('unknown outcomes', () => {
  it('are never retried, though unknown answers are', () => {
    expect(isRetried({ category: 'unknown', code: OUTCOME_UNKNOWN })).toBe(false);
    expect(isRetried({ category: 'unknown', code: 'E42' })).toBe(true);
  });

  it("stay out of retry-failed's defaults, and are requeued when unknown is named", () => {
    expect(retrySelection()).toEqual({
      categories: RETRYABLE_CATEGORIES,
      exceptCodes: [OUTCOME_UNKNOWN],
    });
    expect(retrySelection(['unknown'])).toEqual({ categories: ['unknown'], exceptCodes: [] });
  });
});

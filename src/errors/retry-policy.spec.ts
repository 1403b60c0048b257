import type { ErrorCategory } from './error-taxonomy';
import { backoffDelayMs, decideRetry, type RetrySettings } from './retry-policy';

const SETTINGS: RetrySettings = {
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
  maxAttempts: 5,
  validityMs: 36_000_000,
};
const TIMING = { nowMs: 1_000_000, validFromMs: 1_000_000 };
const top = () => 0.999999;

describe('backoffDelayMs', () => {
  it.each([
    [1, 999],
    [2, 1999],
    [3, 3999],
    [5, 15_999],
    [9, 255_999],
    [10, 299_999], // capped at RETRY_MAX_DELAY_MS
    [40, 299_999],
  ])('retry %d waits below %d ms at most', (retry, expected) => {
    expect(backoffDelayMs(retry, SETTINGS, top)).toBe(expected);
  });

  it('is fully jittered: anywhere from 0', () => {
    expect(backoffDelayMs(5, SETTINGS, () => 0)).toBe(0);
  });
});

describe('decideRetry', () => {
  it.each<[string, ErrorCategory, number, ReturnType<typeof decideRetry>['action'], string?]>([
    ['a permanent failure', 'invalid_number', 1, 'fail'],
    ['opted out', 'opted_out', 1, 'fail'],
    ['content rejected', 'content_rejected', 1, 'fail'],
    ['auth stops the batch', 'auth', 1, 'fail-batch'],
    ['a provider error, first attempt', 'provider_error', 1, 'retry'],
    ['a provider error, 4th attempt', 'provider_error', 4, 'retry'],
    ['a provider error, 5th attempt (the last)', 'provider_error', 5, 'fail'],
    ['a timeout, 2nd attempt', 'timeout', 2, 'retry'],
    ['unknown, 1st attempt', 'unknown', 1, 'retry'],
    ['unknown, 2nd attempt (its last)', 'unknown', 2, 'fail'],
    ['rate limited, whatever the count', 'rate_limited', 9, 'retry'],
    ['an unknown outcome is final', 'unknown', 1, 'fail', 'OUTCOME_UNKNOWN'],
  ])('%s: %s', (_case, category, attempts, action, code = 'X') => {
    expect(decideRetry({ category, code }, attempts, SETTINGS, TIMING, top).action).toBe(action);
  });

  it('waits at least what the provider advised', () => {
    expect(
      decideRetry(
        { category: 'rate_limited', code: 'X' },
        0,
        SETTINGS,
        { ...TIMING, retryAfterMs: 7000 },
        () => 0,
      ),
    ).toEqual({
      action: 'retry',
      delayMs: 7000,
    });
  });

  it('fails a message whose retry would fall after its validity', () => {
    const late = {
      nowMs: TIMING.validFromMs + SETTINGS.validityMs - 500,
      validFromMs: TIMING.validFromMs,
    };
    expect(decideRetry({ category: 'provider_error', code: 'X' }, 1, SETTINGS, late, top)).toEqual({
      action: 'fail',
    });
    expect(
      decideRetry({ category: 'provider_error', code: 'X' }, 1, SETTINGS, late, () => 0),
    ).toEqual({
      action: 'retry',
      delayMs: 0,
    });
  });
});

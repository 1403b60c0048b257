import { retryAfterMs, twilioCategory } from './twilio-codes';

describe('twilioCategory', () => {
  it.each<[string, number | undefined, string]>([
    ['21211', 400, 'invalid_number'],
    ['21214', 400, 'invalid_number'],
    ['21612', 400, 'invalid_number'],
    ['21614', 400, 'invalid_number'],
    ['21610', 400, 'opted_out'],
    ['30007', 400, 'content_rejected'],
    ['20429', 429, 'rate_limited'],
    ['21611', 400, 'rate_limited'],
    ['20003', 401, 'auth'],
    ['20500', 500, 'provider_error'],
    ['SOMETHING_NEW', 502, 'provider_error'],
    ['SOMETHING_NEW', 429, 'rate_limited'],
    ['SOMETHING_NEW', 401, 'auth'],
    ['SOMETHING_NEW', 403, 'auth'],
    ['21604', 400, 'unknown'],
    ['21408', 400, 'unknown'],
    ['30001', 400, 'unknown'],
    ['SOMETHING_NEW', undefined, 'unknown'],
    ['constructor', 500, 'provider_error'],
    ['toString', 400, 'unknown'],
    ['__proto__', 429, 'rate_limited'],
  ])('%s (HTTP %s) is %s', (code, status, category) => {
    expect(twilioCategory(code, status)).toBe(category);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');

  it.each<[string | null, number | undefined]>([
    ['3', 3000],
    [' 0 ', 0],
    ['Mon, 30 Nov 2026 12:00:05 GMT', 5000],
    ['Mon, 30 Nov 2026 11:59:00 GMT', 0],
    ['soon', undefined],
    ['-1', undefined],
    [null, undefined],
    ['3600', 60_000],
    ['9'.repeat(400), undefined],
    ['Tue, 01 Dec 2026 12:00:00 GMT', 60_000],
  ])('Retry-After %p is %p ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});

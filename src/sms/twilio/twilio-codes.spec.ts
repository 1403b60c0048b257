import { twilioCategory } from './twilio-codes';

describe('twilioCategory', () => {
  it.each<[string, number | undefined, string]>([
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
    expect(twilioCategory(code, status)).toBe(category);
  });
});

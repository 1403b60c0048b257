// Checks which incoming X-Request-Id values are kept and which are replaced by a new UUID.
import { requestIdFrom } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each<[string, string]>([
    ['a UUID', '3f0c1f8e-9a4b-4c1d-8e2f-0a1b2c3d4e5f'],
    ['letters, digits, dots, dashes, underscores', 'checkout-42.retry_1'],
    ['one character', 'a'],
    ['128 characters', 'x'.repeat(128)],
  ])('keeps %s', (_case, header) => {
    expect(requestIdFrom(header)).toBe(header);
  });

  it.each<[string, string | string[] | undefined]>([
    ['no header', undefined],
    ['an empty header', ''],
    ['129 characters', 'x'.repeat(129)],
    ['spaces', 'a b'],
    ['a line break (log injection)', 'abc\n{"level":"info"}'],
    ['quotes', '"abc"'],
    ['a repeated header', ['a', 'b']],
    ['non-ASCII letters', 'número'],
  ])('replaces %s with a new UUID', (_case, header) => {
    expect(requestIdFrom(header)).toMatch(UUID);
  });

  it('generates a different id each time', () => {
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

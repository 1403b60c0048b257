// Checks what list routes accept in ?limit= and in a cursor's date, so forged input is a 400, never a 500.
import { DomainError } from '../errors/domain-error';
import { createValidationPipe } from '../errors/validation.pipe';
import { isCursorDate, PageQuery } from './pagination';

async function readQuery(query: Record<string, unknown>): Promise<PageQuery | DomainError> {
  try {
    return (await createValidationPipe().transform(query, {
      type: 'query',
      metatype: PageQuery,
    })) as PageQuery;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

describe('PageQuery', () => {
  it.each<[string, Record<string, unknown>, number]>([
    ['no limit', {}, 50],
    ['1', { limit: '1' }, 1],
    ['50', { limit: '50' }, 50],
    ['500', { limit: '500' }, 500],
    ['leading zeros', { limit: '007' }, 7],
  ])('reads %s', async (_case, query, limit) => {
    expect(await readQuery(query)).toMatchObject({ limit });
  });

  it.each<[string, unknown]>([
    ['exponent notation', '1e2'],
    ['hexadecimal', '0x10'],
    ['octal', '0o10'],
    ['binary', '0b11'],
    ['a leading space', ' 5'],
    ['a trailing space', '5 '],
    ['a plus sign', '+5'],
    ['a negative number', '-1'],
    ['a decimal point', '5.0'],
    ['a fraction', '2.5'],
    ['an empty value', ''],
    ['words', 'ten'],
    ['Infinity', 'Infinity'],
    ['zero', '0'],
    ['501', '501'],
    ['a number too long for a double', '9'.repeat(400)],
    ['a repeated parameter', ['5', '6']],
    ['an object', { a: '5' }],
  ])('rejects %s with a 400 naming limit', async (_case, limit) => {
    const result = await readQuery({ limit });
    expect(result).toBeInstanceOf(DomainError);
    expect((result as DomainError).code).toBe('VALIDATION_FAILED');
    expect((result as DomainError).details).toEqual([
      { path: 'limit', message: expect.any(String) },
    ]);
  });
});

describe('isCursorDate', () => {
  it.each<[string, unknown, boolean]>([
    ['a date as toISOString writes it', '2026-11-30T05:40:16.123Z', true],
    ['the first moment of 1970', '1970-01-01T00:00:00.000Z', true],
    ['the last moment of 9999', '9999-12-31T23:59:59.999Z', true],
    ['year 0000', '0000-01-01T00:00:00.000Z', false],
    ['year 1969', '1969-12-31T23:59:59.999Z', false],
    ['the largest JS date', '+275760-09-13T00:00:00.000Z', false],
    ['the smallest JS date', '-271821-04-20T00:00:00.000Z', false],
    ['year 10000', '+010000-01-01T00:00:00.000Z', false],
    ['no milliseconds', '2026-11-30T05:40:16Z', false],
    ['an offset', '2026-11-30T05:40:16.123+01:00', false],
    ['a date that does not exist', '2026-02-30T00:00:00.000Z', false],
    ['a bare number', '1', false],
    ['a number', 1764481216123, false],
    ['null', null, false],
  ])('%s: %s', (_case, value, expected) => {
    expect(isCursorDate(value)).toBe(expected);
  });
});

import { DomainError, ValidationFailed } from '../errors/domain-error';
import { normalizedOrThrow, validateAddSuppressions } from './add-suppressions.validation';

function refusal(body: unknown, max = 3): DomainError {
  try {
    validateAddSuppressions(body, max);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('accepted');
}

describe('validateAddSuppressions', () => {
  it('answers the numbers as given', () => {
    expect(validateAddSuppressions({ phoneNumbers: ['+12025550142', ' 2025550143'] }, 3)).toEqual([
      '+12025550142',
      ' 2025550143',
    ]);
    expect(validateAddSuppressions({ phoneNumbers: ['+1'], reason: 'manual' }, 3)).toEqual(['+1']);
  });

  it.each([
    ['a body that is not an object', [], [{ path: '', message: expect.any(String) }]],
    [
      'no phoneNumbers',
      {},
      [{ path: 'phoneNumbers', message: 'must be an array of phone numbers' }],
    ],
    [
      'an empty list',
      { phoneNumbers: [] },
      [{ path: 'phoneNumbers', message: 'must hold at least one phone number' }],
    ],
    [
      'a number that is not a string',
      { phoneNumbers: ['+12025550142', 7] },
      [{ path: 'phoneNumbers[1]', index: 1, message: 'must be a string' }],
    ],
    [
      'an overlong text',
      { phoneNumbers: ['1'.repeat(65)] },
      [{ path: 'phoneNumbers[0]', index: 0, message: 'is longer than 64 characters' }],
    ],
    [
      'another reason',
      { phoneNumbers: ['+1'], reason: 'import' },
      [{ path: 'reason', message: expect.stringContaining('must be "manual"') }],
    ],
    [
      'an unknown field',
      { phoneNumbers: ['+1'], numbers: [] },
      [{ path: 'numbers', message: 'is not an allowed field' }],
    ],
  ])('refuses %s with a 400 naming the field', (_, body, details) => {
    const error = refusal(body);
    expect(error).toBeInstanceOf(ValidationFailed);
    expect(error.details).toEqual(details);
  });

  it('refuses a list over the limit with a 413 before looking at its items', () => {
    const error = refusal({ phoneNumbers: [1, 2, 3, 4] });
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.details).toEqual([
      { path: 'phoneNumbers', message: 'has 4 items; the limit is 3' },
    ]);
  });
});

describe('normalizedOrThrow', () => {
  it('answers E.164 numbers, or names every invalid one by index', () => {
    expect(
      normalizedOrThrow(
        ['a', 'b'],
        [
          { e164: '+1', country: 'US' },
          { e164: '+2', country: 'US' },
        ],
      ),
    ).toEqual(['+1', '+2']);
    expect(() =>
      normalizedOrThrow(
        ['a', 'b'],
        [{ e164: '+1', country: 'US' }, { problem: 'is not a valid phone number' }],
      ),
    ).toThrow(
      expect.objectContaining({
        details: [
          { path: 'phoneNumbers[1]', index: 1, message: '"b" is not a valid phone number' },
        ],
      }),
    );
  });
});

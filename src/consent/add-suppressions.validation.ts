// The body of POST /api/suppressions, checked by hand (as POST /api/batch is): a list of up to
// 10,000 numbers is read once, and a list over the limit is a 413 before anything else is looked at.
import { shownNumber, type PhoneParseResult } from '../phone/phone-number';
import { DomainError, ValidationFailed, type ErrorDetail } from '../errors/domain-error';

const FIELDS = new Set(['phoneNumbers', 'reason']);

/** The only reason this route sets; the others come from replies, providers and imports. */
export const ADD_REASON = 'manual';

/** Longer than any way of writing a phone number; the parser is not asked about such a text. */
export const MAX_PHONE_TEXT = 64;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The numbers as given, one string each; throws a 400 (or a 413 past `max`) naming the fields. */
export function validateAddSuppressions(body: unknown, max: number): string[] {
  if (!isObject(body)) {
    throw new ValidationFailed('The request body must be a JSON object.', [
      { path: '', message: 'must be a JSON object with phoneNumbers' },
    ]);
  }
  const problems: ErrorDetail[] = [];
  for (const field of Object.keys(body)) {
    if (!FIELDS.has(field)) problems.push({ path: field, message: 'is not an allowed field' });
  }
  if (body.reason !== undefined && body.reason !== ADD_REASON) {
    problems.push({
      path: 'reason',
      message: `must be "${ADD_REASON}": entries of other reasons come from replies, providers and POST /api/suppressions/import`,
    });
  }
  const numbers = body.phoneNumbers;
  if (!Array.isArray(numbers)) {
    problems.push({ path: 'phoneNumbers', message: 'must be an array of phone numbers' });
    throw ValidationFailed.of(problems);
  }
  if (numbers.length > max) {
    throw new DomainError(
      'PAYLOAD_TOO_LARGE',
      `This request has ${numbers.length} phone numbers; a request may carry at most ${max}. Split it, or use POST /api/suppressions/import.`,
      [{ path: 'phoneNumbers', message: `has ${numbers.length} items; the limit is ${max}` }],
    );
  }
  if (numbers.length === 0) {
    problems.push({ path: 'phoneNumbers', message: 'must hold at least one phone number' });
  }
  numbers.forEach((value, index) => {
    const path = `phoneNumbers[${index}]`;
    if (typeof value !== 'string') problems.push({ path, index, message: 'must be a string' });
    else if (value.length > MAX_PHONE_TEXT) {
      problems.push({ path, index, message: `is longer than ${MAX_PHONE_TEXT} characters` });
    }
  });
  if (problems.length) throw ValidationFailed.of(problems);
  return numbers as string[];
}

/** The E.164 form of each number; a 400 naming every number that is not valid, by index. */
export function normalizedOrThrow(raws: readonly string[], parsed: PhoneParseResult[]): string[] {
  const problems: ErrorDetail[] = [];
  const numbers: string[] = [];
  parsed.forEach((result, index) => {
    if ('problem' in result) {
      problems.push({
        path: `phoneNumbers[${index}]`,
        index,
        message: `"${shownNumber(raws[index])}" ${result.problem}`,
      });
    } else numbers.push(result.e164);
  });
  if (problems.length) throw ValidationFailed.of(problems);
  return numbers;
}

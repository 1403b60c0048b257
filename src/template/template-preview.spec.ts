// Checks POST /api/template/preview's answer: the rendered text, used and missing variables, encoding and
// segments, and the 400s for texts and values that could never be sent.
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { previewRequest, previewTemplate, type TemplatePreview } from './template-preview';

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

const many = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`v${i}`, 'x']));

describe('previewTemplate', () => {
  it.each<[string, string, Record<string, unknown> | undefined, TemplatePreview]>([
    [
      'no placeholders',
      'Hello there',
      undefined,
      {
        rendered: 'Hello there',
        variables: { used: [], missing: [] },
        encoding: 'GSM-7',
        characters: 11,
        segments: 1,
      },
    ],
    [
      'every variable given',
      'Hi {{name}}, code {{code}}',
      { name: 'Ann', code: '1234' },
      {
        rendered: 'Hi Ann, code 1234',
        variables: { used: ['name', 'code'], missing: [] },
        encoding: 'GSM-7',
        characters: 17,
        segments: 1,
      },
    ],
    [
      'a missing variable left as written',
      'Hi {{ name }}, code {{code}}',
      { code: '1234' },
      {
        rendered: 'Hi {{ name }}, code 1234',
        variables: { used: ['code'], missing: ['name'] },
        encoding: 'GSM-7',
        characters: 28, // each brace is a GSM extension character: 2 septets
        segments: 1,
      },
    ],
    [
      'no values at all (braces cost 2 septets each)',
      '{{a}} and {{b}} and {{a}}',
      undefined,
      {
        rendered: '{{a}} and {{b}} and {{a}}',
        variables: { used: [], missing: ['a', 'b'] },
        encoding: 'GSM-7',
        characters: 37,
        segments: 1,
      },
    ],
    [
      'extra values ignored',
      'Hi {{name}}',
      { name: 'Ann', city: 'Oslo' },
      {
        rendered: 'Hi Ann',
        variables: { used: ['name'], missing: [] },
        encoding: 'GSM-7',
        characters: 6,
        segments: 1,
      },
    ],
    [
      'a repeated variable listed once',
      '{{x}}{{x}}',
      { x: 'ab' },
      {
        rendered: 'abab',
        variables: { used: ['x'], missing: [] },
        encoding: 'GSM-7',
        characters: 4,
        segments: 1,
      },
    ],
    [
      'an empty value renders as nothing',
      'Hi {{name}}!',
      { name: '' },
      {
        rendered: 'Hi !',
        variables: { used: ['name'], missing: [] },
        encoding: 'GSM-7',
        characters: 4,
        segments: 1,
      },
    ],
    [
      'a € counted as 2 septets',
      'Price {{p}}',
      { p: '5€' },
      {
        rendered: 'Price 5€',
        variables: { used: ['p'], missing: [] },
        encoding: 'GSM-7',
        characters: 9,
        segments: 1,
      },
    ],
    [
      'Cyrillic in the value makes it UCS-2',
      'Hi {{name}}',
      { name: 'Жанна' },
      {
        rendered: 'Hi Жанна',
        variables: { used: ['name'], missing: [] },
        encoding: 'UCS-2',
        characters: 8,
        segments: 1,
      },
    ],
    [
      'an emoji in the text makes it UCS-2',
      'Hi 😀',
      {},
      {
        rendered: 'Hi 😀',
        variables: { used: [], missing: [] },
        encoding: 'UCS-2',
        characters: 5,
        segments: 1,
      },
    ],
    [
      '161 GSM characters take 2 segments',
      '{{x}}' + 'a'.repeat(156),
      { x: 'bbbbb' },
      {
        rendered: 'b'.repeat(5) + 'a'.repeat(156),
        variables: { used: ['x'], missing: [] },
        encoding: 'GSM-7',
        characters: 161,
        segments: 2,
      },
    ],
    [
      '71 UCS-2 units take 2 segments',
      'ж'.repeat(71),
      undefined,
      {
        rendered: 'ж'.repeat(71),
        variables: { used: [], missing: [] },
        encoding: 'UCS-2',
        characters: 71,
        segments: 2,
      },
    ],
    [
      'variables named like Object.prototype members, like any other',
      '{{constructor}} {{toString}} {{valueOf}}',
      { constructor: 'a', toString: 'b', valueOf: 'c' },
      {
        rendered: 'a b c',
        variables: { used: ['constructor', 'toString', 'valueOf'], missing: [] },
        encoding: 'GSM-7',
        characters: 5,
        segments: 1,
      },
    ],
    [
      '{{constructor}} without a value is missing, not Object',
      'Hi {{constructor}}',
      {},
      {
        rendered: 'Hi {{constructor}}',
        variables: { used: [], missing: ['constructor'] },
        encoding: 'GSM-7',
        characters: 22,
        segments: 1,
      },
    ],
    [
      '100 variables and values of 1600 characters within the limit',
      '{{a}}',
      { ...many(99), a: 'a'.repeat(1600) },
      {
        rendered: 'a'.repeat(1600),
        variables: { used: ['a'], missing: [] },
        encoding: 'GSM-7',
        characters: 1600,
        segments: 11,
      },
    ],
    [
      'text of exactly 1600 characters',
      'a'.repeat(1600),
      undefined,
      {
        rendered: 'a'.repeat(1600),
        variables: { used: [], missing: [] },
        encoding: 'GSM-7',
        characters: 1600,
        segments: 11,
      },
    ],
  ])('%s', (_case, text, values, expected) => {
    expect(previewTemplate(text, values)).toEqual(expected);
  });

  it.each<[string, string, Record<string, unknown>, string[]]>([
    ['empty text', '', {}, ['text']],
    ['text of 1601 characters', 'a'.repeat(1601), {}, ['text']],
    ['an invalid placeholder', 'Hi {{first-name}}', {}, ['text']],
    ['an empty placeholder', 'Hi {{ }}', {}, ['text']],
    ['a NUL character', 'Hi\u0000', {}, ['text']],
    ['a lone surrogate', 'Hi \ud83d', {}, ['text']],
    ['a number as a value', 'Code {{code}}', { code: 1234 }, ['variables.code']],
    ['null as a value', 'Code {{code}}', { code: null }, ['variables.code']],
    ['an object as an unused value', 'Hi', { meta: { a: 1 } }, ['variables.meta']],
    ['several problems at once', 'Hi {{a-b}}', { x: 1 }, ['variables.x', 'text']],
    ['a value of 1601 characters', 'Hi {{a}}', { a: 'a'.repeat(1601) }, ['variables.a']],
    ['an unused value of 1601 characters', 'Hi', { a: 'a'.repeat(1601) }, ['variables.a']],
    [
      '320 placeholders of a 1,000,000-character value',
      '{{a}}'.repeat(320),
      { a: 'a'.repeat(1_000_000) },
      ['variables.a'],
    ],
    ['101 variables', 'Hi', many(101), ['variables']],
    [
      'a variable name of 101 characters',
      'Hi',
      { ['n'.repeat(101)]: 'x' },
      ['variables.' + 'n'.repeat(100)],
    ],
    [
      'values that render past 1600 characters',
      '{{a}}{{b}}'.repeat(160),
      { a: 'a'.repeat(1600), b: 'b'.repeat(1600) },
      ['variables'],
    ],
    ['{{__proto__}} in the text', 'Hi {{__proto__}}', {}, ['text']],
  ])('rejects %s with a 400', (_case, text, values, paths) => {
    const error = errorOf(() => previewTemplate(text, values));
    expect(error).toBeInstanceOf(ValidationFailed);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.map((detail) => detail.path)).toEqual(paths);
    expect(error.message).toContain(paths.length === 1 ? paths[0] : `${paths.length} problems`);
  });
});

describe('previewRequest', () => {
  it.each<[string, unknown, string[]]>([
    ['a body that is not an object', [1], ['']],
    ['a null body', null, ['']],
    ['missing text', { variables: {} }, ['text']],
    ['text that is not a string', { text: 5 }, ['text']],
    ['variables that are not an object', { text: 'Hi', variables: ['a'] }, ['variables']],
    ['variables null', { text: 'Hi', variables: null }, ['variables']],
    ['an unknown field', { text: 'Hi', extra: true }, ['extra']],
    ['a value that is not a string', { text: 'Hi', variables: { a: 1 } }, ['variables.a']],
    [
      '"__proto__" as a variable',
      JSON.parse('{"text":"Hi","variables":{"__proto__":"x"}}'),
      ['variables.__proto__'],
    ],
  ])('rejects %s with a 400', (_case, body, paths) => {
    const error = errorOf(() => previewRequest(body));
    expect(error).toBeInstanceOf(ValidationFailed);
    expect(error.details?.map((detail) => detail.path)).toEqual(paths);
  });

  it('previews a body as sent, variables named like Object.prototype members included', () => {
    const body = JSON.parse(
      '{"text":"{{constructor}} {{toString}} {{valueOf}} {{hasOwnProperty}}","variables":{"constructor":"a","toString":"b","valueOf":"c","hasOwnProperty":"d"}}',
    ) as unknown;
    expect(previewRequest(body)).toMatchObject({
      rendered: 'a b c d',
      variables: { used: ['constructor', 'toString', 'valueOf', 'hasOwnProperty'], missing: [] },
    });
  });
});

// Checks the variable limits that POST /api/batch and the preview share.
import {
  isVariableValue,
  variableCountProblem,
  variableNameProblem,
  variablePath,
  variableValueProblem,
} from './variables';

describe('variable limits', () => {
  it.each<[string, unknown, boolean, string | undefined]>([
    ['an empty string', '', true, undefined],
    ['1600 characters', 'a'.repeat(1600), true, undefined],
    [
      '1601 characters',
      'a'.repeat(1601),
      false,
      'must be at most 1600 characters (UTF-16 units); it has 1601',
    ],
    ['800 emoji (1600 units)', '😀'.repeat(800), true, undefined],
    ['a number', 5, false, 'must be a string'],
    ['null', null, false, 'must be a string'],
    ['an object', { toString: () => 'x' }, false, 'must be a string'],
  ])('a value of %s', (_case, value, valid, problem) => {
    expect(isVariableValue(value)).toBe(valid);
    if (problem) expect(variableValueProblem(value)).toBe(problem);
  });

  it.each<[number, string | undefined]>([
    [0, undefined],
    [100, undefined],
    [101, 'has 101 variables; at most 100 are allowed'],
  ])('%i variables', (count, problem) => {
    expect(variableCountProblem(count)).toBe(problem);
  });

  it.each<[string, string, RegExp | undefined]>([
    ['an ordinary name', 'name', undefined],
    ['constructor', 'constructor', undefined],
    ['toString', 'toString', undefined],
    ['100 characters', 'n'.repeat(100), undefined],
    ['101 characters', 'n'.repeat(101), /longer than 100/],
    ['__proto__', '__proto__', /not an allowed variable name/],
    ['a NUL character', 'a\u0000', /NUL/],
    ['a lone surrogate', '\ud800', /surrogate/],
  ])('a name of %s', (_case, name, problem) => {
    const found = variableNameProblem(name);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });

  it('cuts a long name to 100 characters in a path', () => {
    expect(variablePath('n'.repeat(1_000_000))).toBe('n'.repeat(100));
    expect(variablePath('name')).toBe('name');
  });
});

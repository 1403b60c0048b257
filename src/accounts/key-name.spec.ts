import { KEY_NAME_MAX_LENGTH, keyNameProblem } from './key-name';

describe('keyNameProblem', () => {
  it.each([
    ['ci', null],
    ['dashboard (Ada)', null],
    ['clé de production ✓', null],
    ['x'.repeat(KEY_NAME_MAX_LENGTH), null],
    // An astral character counts once, as a person sees it.
    ['😀'.repeat(KEY_NAME_MAX_LENGTH), null],
    ['', 'must not be empty or blank'],
    ['   ', 'must not be empty or blank'],
    ['x'.repeat(KEY_NAME_MAX_LENGTH + 1), 'must be at most 100 characters'],
    ['a\nb', 'must not contain control characters'],
    ['a\u0000b', 'must not contain control characters'],
    ['\u001b[31mred', 'must not contain control characters'],
    ['a\u0085b', 'must not contain control characters'],
  ])('%j: %s', (name, problem) => {
    expect(keyNameProblem(name)).toBe(problem);
  });
});

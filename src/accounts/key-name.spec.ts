import { KEY_NAME_MAX_LENGTH, keyNameProblem, printable } from './key-name';

const INVISIBLE = 'must not contain control or invisible characters';
const BLANK = 'must not be empty or blank';

describe('keyNameProblem', () => {
  it.each([
    ['ci', null],
    ['dashboard (Ada)', null],
    ['clé de production ✓', null],
    ['x'.repeat(KEY_NAME_MAX_LENGTH), null],
    // An astral character counts once, as a person sees it.
    ['😀'.repeat(KEY_NAME_MAX_LENGTH), null],
    // Spaces of other widths are printable, inside a name.
    ['a\u00a0b\u3000c', null],
    ['', BLANK],
    ['   ', BLANK],
    // Blank once the invisible characters are set aside.
    ['\u200b', BLANK],
    ['\u202e \u2028', BLANK],
    ['\ufeff\u00a0', BLANK],
    ['x'.repeat(KEY_NAME_MAX_LENGTH + 1), 'must be at most 100 characters'],
    // Control characters (Cc).
    ['a\nb', INVISIBLE],
    ['a\u0000b', INVISIBLE],
    ['\u001b[31mred', INVISIBLE],
    ['a\u0085b', INVISIBLE],
    // Format characters (Cf): bidi overrides and isolates, zero-width, the BOM, soft hyphen.
    ['invoice\u202efdp.exe', INVISIBLE],
    ['a\u2066b\u2069', INVISIBLE],
    ['ad\u200bmin', INVISIBLE],
    ['a\u200db', INVISIBLE],
    ['a\ufeffb', INVISIBLE],
    ['a\u00adb', INVISIBLE],
    // Line and paragraph separators (Zl, Zp).
    ['a\u2028b', INVISIBLE],
    ['a\u2029b', INVISIBLE],
    // A lone surrogate (Cs), private use (Co), unassigned (Cn).
    ['a\ud800b', INVISIBLE],
    ['a\ue000b', INVISIBLE],
    ['a\u0378b', INVISIBLE],
  ])('%j: %s', (name, problem) => {
    expect(keyNameProblem(name)).toBe(problem);
  });
});

describe('printable', () => {
  it.each([
    ['ci deploys', 'ci deploys'],
    ['\u001b[31mred', '?[31mred'],
    ['invoice\u202efdp.exe', 'invoice?fdp.exe'],
    ['ad\u200bmin', 'ad?min'],
    ['a\u2028b\u2029c\u0085d', 'a?b?c?d'],
    ['clé ✓ 😀', 'clé ✓ 😀'],
  ])('%j → %j', (text, shown) => {
    expect(printable(text)).toBe(shown);
  });
});

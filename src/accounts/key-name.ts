// What a key may be called: shown in lists, logs of operators and terminals, so short and printable.

export const KEY_NAME_MAX_LENGTH = 100;

/**
 * What a name must not hold, and what the CLI masks when it prints names: control characters (C0,
 * C1: NUL, newlines, escape sequences), format characters (U+202E and the other bidi overrides,
 * U+200B and the other zero-width ones, U+FEFF), surrogates, private-use and unassigned code
 * points (all of \p{C}), and the line and paragraph separators U+2028 and U+2029.
 */
export const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'gu');

/** `text` with every UNPRINTABLE character replaced by `?`, for terminals. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE_ALL, '?');
}

/** What is wrong with `name` as a key's name ("is empty", ...), or null when it is fine. */
export function keyNameProblem(name: string): string | null {
  // Blank also when all it holds besides white space is characters nobody sees.
  if (!name.replace(UNPRINTABLE_ALL, '').trim()) return 'must not be empty or blank';
  if ([...name].length > KEY_NAME_MAX_LENGTH) {
    return `must be at most ${KEY_NAME_MAX_LENGTH} characters`;
  }
  if (UNPRINTABLE.test(name)) return 'must not contain control or invisible characters';
  return null;
}

// What a key may be called: shown in lists, logs of operators and terminals, so short and printable.

export const KEY_NAME_MAX_LENGTH = 100;

/** C0 and C1 control characters (NUL, newlines, escape sequences): a name must hold none. */
export const CONTROL_CHARACTER = /\p{Cc}/u;

/** What is wrong with `name` as a key's name ("is empty", ...), or null when it is fine. */
export function keyNameProblem(name: string): string | null {
  if (!name.trim()) return 'must not be empty or blank';
  if ([...name].length > KEY_NAME_MAX_LENGTH) {
    return `must be at most ${KEY_NAME_MAX_LENGTH} characters`;
  }
  if (CONTROL_CHARACTER.test(name)) return 'must not contain control characters';
  return null;
}

// What PostgreSQL can store as text: well-formed UTF-16 (no lone surrogates) without NUL characters.

export function storableTextProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    return 'must be well-formed Unicode (it contains a lone surrogate)';
  }
  return undefined;
}

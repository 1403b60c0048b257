// What PostgreSQL can store as text: well-formed UTF-16 (no lone surrogates) without NUL characters.

export function storableTextProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    return 'must be well-formed Unicode (it contains a lone surrogate)';
  }
  return undefined;
}

// A high surrogate with no low one after it, or a low surrogate with no high one before it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text a provider sent, made storable rather than refused (the message must be kept even when its
 * sender's encoding was broken): each NUL and lone surrogate becomes `?`.
 */
export function storableText(value: string): string {
  return value.replaceAll('\u0000', '?').replace(LONE_SURROGATE, '?');
}

// The consent keywords' defaults and how a keyword is compared, for config and consent alike.

export const DEFAULT_OPT_OUT_KEYWORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'REVOKE',
  'OPTOUT',
] as const;
export const DEFAULT_OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;
export const DEFAULT_HELP_KEYWORDS = ['HELP', 'INFO'] as const;

/**
 * A message or keyword as it is compared: trimmed, inner runs of white space collapsed to one
 * space, upper case. "  stop " and "Stop" match STOP; "stop please" matches nothing.
 */
export function normalizeKeyword(text: string): string {
  return text.trim().replace(/\s+/gu, ' ').toUpperCase();
}

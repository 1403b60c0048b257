// Parses "{{name}}" message templates once per batch and renders them cheaply once per recipient.

export const MAX_MESSAGE_LENGTH = 1600; // UTF-16 code units, for the template text and each rendered message

export interface Placeholder {
  variable: string;
  raw: string; // as written, e.g. "{{ name }}"
}

export interface ParsedTemplate {
  readonly text: string;
  readonly variables: readonly string[];
  readonly parts: readonly (string | Placeholder)[];
}

export interface TemplateProblem {
  placeholder: string;
  message: string;
}

// Module-level so no regex is compiled per call; the global one is only used via exec with lastIndex reset.
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const VARIABLE_NAME = /^[A-Za-z0-9_]+$/;
const NEAR_MISS_NOISE = /[-_]/g;

export function parseTemplate(text: string): {
  template: ParsedTemplate;
  problems: TemplateProblem[];
} {
  const parts: (string | Placeholder)[] = [];
  const variables: string[] = [];
  const problems: TemplateProblem[] = [];
  const seenVariables = new Set<string>();
  const seenProblems = new Set<string>();
  // Start of literal text not yet pushed; invalid placeholders don't advance it, so they merge into the surrounding literal.
  let literalStart = 0;

  PLACEHOLDER.lastIndex = 0;
  for (let match = PLACEHOLDER.exec(text); match !== null; match = PLACEHOLDER.exec(text)) {
    const raw = match[0];
    const name = (match[1] ?? '').trim();
    if (!VARIABLE_NAME.test(name) || name === '__proto__') {
      // The same typo repeated is one thing to fix, so it is reported once.
      if (!seenProblems.has(raw)) {
        seenProblems.add(raw);
        problems.push(describeProblem(raw, name));
      }
      continue;
    }
    if (match.index > literalStart) parts.push(text.slice(literalStart, match.index));
    parts.push(Object.freeze({ variable: name, raw }));
    if (!seenVariables.has(name)) {
      seenVariables.add(name);
      variables.push(name);
    }
    literalStart = match.index + raw.length;
  }
  if (literalStart < text.length) parts.push(text.slice(literalStart));

  // Frozen because one parsed template is shared by every message of a batch.
  const template: ParsedTemplate = Object.freeze({
    text,
    variables: Object.freeze(variables),
    parts: Object.freeze(parts),
  });
  return { template, problems };
}

function describeProblem(raw: string, name: string): TemplateProblem {
  const message =
    name === ''
      ? `placeholder ${raw} is empty: put a variable name of letters, digits and underscore between the braces`
      : name === '__proto__'
        ? `placeholder ${raw} is not an allowed variable name`
        : `placeholder ${raw} is not a valid variable: names use letters, digits and underscore`;
  return { placeholder: raw, message };
}

/** A rendered message, or, past `maxLength`, only how long it would have been. */
export type Rendering =
  | { rendered: string; missing: string[] }
  | { rendered: undefined; length: number; missing: string[] };

/**
 * Fills the template, never building more than `maxLength` characters: past it, only lengths are
 * added up (one addition per part), so values repeated by many placeholders cannot make a huge
 * string. Only the values' own properties count: `{{constructor}}` without a value is missing.
 */
export function renderTemplate(
  template: ParsedTemplate,
  values: Readonly<Record<string, unknown>>,
  maxLength = MAX_MESSAGE_LENGTH,
): Rendering {
  let rendered = '';
  let length = 0;
  const missing: string[] = [];
  for (const part of template.parts) {
    let piece: string;
    if (typeof part === 'string') {
      piece = part;
    } else {
      const value = Object.hasOwn(values, part.variable) ? values[part.variable] : undefined;
      if (typeof value === 'string') {
        piece = value;
      } else {
        // Leaving the placeholder visible makes the gap obvious in previews; the caller decides whether it is fatal.
        piece = part.raw;
        if (!missing.includes(part.variable)) missing.push(part.variable);
      }
    }
    length += piece.length;
    if (length <= maxLength) rendered += piece;
  }
  return length <= maxLength ? { rendered, missing } : { rendered: undefined, length, missing };
}

/** For a message whose values passed validation at ingest, where a message too long is a bug. */
export function renderStoredMessage(
  template: ParsedTemplate,
  values: Readonly<Record<string, unknown>>,
): string {
  const rendering = renderTemplate(template, values);
  if (rendering.rendered === undefined) {
    throw new RangeError(
      `A stored message renders ${rendering.length} characters; ingest allows ${MAX_MESSAGE_LENGTH}`,
    );
  }
  return rendering.rendered;
}

export function normalizeVariableName(name: string): string {
  return name.replace(NEAR_MISS_NOISE, '').toLowerCase();
}

export function findNearMiss(
  given: string,
  templateVariables: readonly string[],
): string | undefined {
  if (templateVariables.includes(given)) return undefined;
  const wanted = normalizeVariableName(given);
  // Names made only of "_"/"-" would all collide on the empty string, which is no useful hint.
  if (wanted === '') return undefined;
  return templateVariables.find((variable) => normalizeVariableName(variable) === wanted);
}

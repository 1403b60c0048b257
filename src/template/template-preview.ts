// What POST /api/template/preview answers: the rendered text and how it will be billed.
import { storableTextProblem } from '../common/text';
import { ValidationFailed, type ErrorDetail } from '../errors/domain-error';
import { countSegments, type SmsEncoding } from './segments';
import { MAX_MESSAGE_LENGTH, parseTemplate, renderTemplate } from './template';
import {
  isVariableValue,
  variableCountProblem,
  variableNameProblem,
  variablePath,
  variableValueProblem,
} from './variables';

export interface TemplatePreview {
  rendered: string;
  variables: { used: string[]; missing: string[] };
  encoding: SmsEncoding;
  characters: number;
  segments: number;
}

const REQUEST_FIELDS = new Set(['text', 'variables']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The preview of a request body as sent, checked by hand as POST /api/batch is: the validation pipe
 * would delete "constructor" keys and class-transformer skip every name Object.prototype defines
 * (toString, valueOf...), which batches accept as ordinary variable names.
 */
export function previewRequest(body: unknown): TemplatePreview {
  if (!isObject(body)) {
    throw ValidationFailed.of([
      { path: '', message: 'must be a JSON object with text and, optionally, variables' },
    ]);
  }
  const details: ErrorDetail[] = [];
  for (const field of Object.keys(body)) {
    if (!REQUEST_FIELDS.has(field)) {
      details.push({ path: field, message: 'is not an allowed field' });
    }
  }
  const { text, variables } = body;
  if (typeof text !== 'string') details.push({ path: 'text', message: 'must be a string' });
  if (variables !== undefined && !isObject(variables)) {
    details.push({ path: 'variables', message: 'must be an object of strings' });
  }
  if (details.length || typeof text !== 'string') throw ValidationFailed.of(details);
  return previewTemplate(text, variables as Json | undefined);
}

export function previewTemplate(
  text: string,
  values: Record<string, unknown> = {},
): TemplatePreview {
  // Length first: nothing longer than a message is worth parsing.
  if (text.length === 0 || text.length > MAX_MESSAGE_LENGTH) {
    throw ValidationFailed.of([
      {
        path: 'text',
        message: `must be 1 to ${MAX_MESSAGE_LENGTH} characters (UTF-16 units); it has ${text.length}`,
      },
    ]);
  }
  const details: ErrorDetail[] = [];
  const storable = storableTextProblem(text);
  if (storable) details.push({ path: 'text', message: storable });
  // The same limits as POST /api/batch, checked before anything renders.
  const names = Object.keys(values);
  const countProblem = variableCountProblem(names.length);
  if (countProblem) {
    details.push({ path: 'variables', message: countProblem });
  } else {
    for (const name of names) {
      const value = values[name];
      const problem = isVariableValue(value)
        ? variableNameProblem(name)
        : variableValueProblem(value);
      if (problem) details.push({ path: `variables.${variablePath(name)}`, message: problem });
    }
  }
  const { template, problems } = parseTemplate(text);
  for (const problem of problems) details.push({ path: 'text', message: problem.message });
  if (details.length) throw ValidationFailed.of(details);

  const rendering = renderTemplate(template, values);
  if (rendering.rendered === undefined) {
    throw ValidationFailed.of([
      {
        path: 'variables',
        message: `render a message of ${rendering.length} characters; the limit is ${MAX_MESSAGE_LENGTH}`,
      },
    ]);
  }
  const { rendered, missing } = rendering;
  const missingSet = new Set(missing);
  const { encoding, characters, segments } = countSegments(rendered);
  return {
    rendered,
    variables: { used: template.variables.filter((name) => !missingSet.has(name)), missing },
    encoding,
    characters,
    segments,
  };
}

// What POST /api/template/preview answers: the rendered text and how it will be billed.
import { storableTextProblem } from '../common/text';
import { ValidationFailed, type ErrorDetail } from '../errors/domain-error';
import { countSegments, type SmsEncoding } from './segments';
import { MAX_MESSAGE_LENGTH, parseTemplate, renderTemplate } from './template';

export interface TemplatePreview {
  rendered: string;
  variables: { used: string[]; missing: string[] };
  encoding: SmsEncoding;
  characters: number;
  segments: number;
}

export function previewTemplate(
  text: string,
  values: Record<string, unknown> = {},
): TemplatePreview {
  const details: ErrorDetail[] = [];
  if (text.length === 0 || text.length > MAX_MESSAGE_LENGTH) {
    details.push({
      path: 'text',
      message: `must be 1 to ${MAX_MESSAGE_LENGTH} characters (UTF-16 units); it has ${text.length}`,
    });
  }
  const storable = storableTextProblem(text);
  if (storable) details.push({ path: 'text', message: storable });
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'string') {
      details.push({ path: `variables.${name}`, message: 'must be a string' });
    }
  }
  const { template, problems } = parseTemplate(text);
  for (const problem of problems) details.push({ path: 'text', message: problem.message });
  if (details.length) {
    const first = details[0];
    throw new ValidationFailed(
      details.length === 1
        ? `The request is invalid: ${first.path} ${first.message}.`
        : `The request is invalid: ${details.length} problems, listed in details.`,
      details,
    );
  }
  const { rendered, missing } = renderTemplate(template, values);
  const { encoding, characters, segments } = countSegments(rendered);
  return {
    rendered,
    variables: { used: template.variables.filter((name) => !missing.includes(name)), missing },
    encoding,
    characters,
    segments,
  };
}

// Validation of POST /api/batch, by hand: class-validator on 100k nested recipients costs about half a
// second, and this path reads every recipient once. Phone numbers are checked later, in threads.
import { DomainError, ValidationFailed, type ErrorDetail } from '../errors/domain-error';
import { storableTextProblem } from '../common/text';
import { countSegments, type SmsEncoding } from '../template/segments';
import {
  findNearMiss,
  MAX_MESSAGE_LENGTH,
  normalizeVariableName,
  parseTemplate,
  renderTemplate,
  type ParsedTemplate,
} from '../template/template';
import {
  isVariableValue,
  variableCountProblem,
  variableNameProblem,
  variablePath,
  variableValueProblem,
} from '../template/variables';
import { PRIORITIES, type Priority } from '../rate-limit/tier-rates';
import { parseSendWindow, type SendWindow } from '../config/send-window';

/** A scheduleTime this far in the past is taken as "now": clocks of clients and servers drift. */
export const SCHEDULE_CLOCK_SKEW_MS = 30_000;
/** Warnings list at most this many recipient indexes each (`recipientsTotal` has the full count). */
export const MAX_WARNING_RECIPIENTS = 100;
/** At most this many warnings (`warningsTotal` has the full count): the answer stays small. */
export const MAX_WARNINGS = 100;

const ISO_8601_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * An ISO 8601 date-time with an offset, or null. Dates that do not exist (February 30th) are null:
 * `new Date` would quietly roll them over to another day.
 */
function parseIsoDateTime(text: string): Date | null {
  const match = ISO_8601_WITH_OFFSET.exec(text);
  if (!match) return null;
  const [, year, month, day, hour, minute, second = '0', , offsetHours = '0', offsetMinutes = '0'] =
    match;
  const date = new Date(text);
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const valid =
    !Number.isNaN(date.getTime()) &&
    calendar.getUTCFullYear() === Number(year) &&
    calendar.getUTCMonth() === Number(month) - 1 &&
    calendar.getUTCDate() === Number(day) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60 &&
    Number(offsetHours) < 24 &&
    Number(offsetMinutes) < 60;
  return valid ? date : null;
}

const TOP_LEVEL_FIELDS = new Set(['text', 'recipients', 'options']);
const OPTION_FIELDS = new Set(['scheduleTime', 'priority', 'autoStart', 'sendWindow']);
const RECIPIENT_FIELDS = new Set(['phoneNumber', 'variables']);

export interface BatchOptions {
  priority: Priority;
  autoStart: boolean;
  scheduleTime: Date | null;
  /** options.sendWindow: undefined when not given (DEFAULT_SEND_WINDOW applies), null for none. */
  sendWindow?: SendWindow | null;
}

export interface ValidRecipient {
  /** Only the variables the template uses. */
  variables: Record<string, string>;
  segments: number;
  encoding: SmsEncoding;
}

/** The warning (and, when every recipient is dropped, the detail code) for suppressed numbers. */
export const SUPPRESSED_RECIPIENT = 'SUPPRESSED_RECIPIENT' as const;

export const WARNING_CODES = [
  'UNUSED_VARIABLE',
  'NEAR_MISS_VARIABLE',
  SUPPRESSED_RECIPIENT,
  'SEND_WINDOW_ZONES_DISJOINT',
] as const;

export interface BatchWarning {
  code: (typeof WARNING_CODES)[number];
  message: string;
  /** The variable as the recipients gave it; absent for warnings about recipients' numbers. */
  variable?: string;
  suggestion?: string;
  recipients: number[];
  recipientsTotal: number;
}

export interface ValidatedBatch {
  template: ParsedTemplate;
  options: BatchOptions;
  /** By recipient index; a hole where the recipient has a problem. */
  recipients: ValidRecipient[];
  /** By recipient index, as given; a hole where it is not a string. Parsed after this step. */
  phoneNumbers: string[];
  warnings: BatchWarning[];
  /** How many warnings there were; `warnings` holds the first MAX_WARNINGS. */
  warningsTotal: number;
  /** Problems found so far, by recipient; phone numbers add theirs before the request is judged. */
  details: ErrorDetail[];
}

export class TooManyRecipients extends DomainError {
  constructor(count: number, max: number) {
    super(
      'TOO_MANY_RECIPIENTS',
      `This batch has ${count} recipients; a request may carry at most ${max} ` +
        '(MAX_RECIPIENTS_PER_REQUEST). Split it into several batches.',
      [{ path: 'recipients', message: `has ${count} items; the limit is ${max}` }],
    );
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface BatchRequest {
  template: ParsedTemplate;
  options: BatchOptions;
  recipients: unknown[];
}

/**
 * Checks everything but the phone numbers' validity. Throws for problems of the request as a whole;
 * recipients' problems come back in `details`, so that they are reported together with the phone
 * numbers' and the client can fix every recipient in one round.
 */
export function validateCreateBatch(
  body: unknown,
  limits: { maxRecipients: number; now: Date },
): ValidatedBatch {
  const { template, options, recipients } = validateBatchRequest(body, limits);
  return { template, options, ...validateRecipients(recipients, template) };
}

/** The request as a whole: its fields, text, options and the size of its recipient list. */
export function validateBatchRequest(
  body: unknown,
  limits: { maxRecipients: number; now: Date },
): BatchRequest {
  const problems: ErrorDetail[] = [];
  if (!isObject(body)) {
    throw new ValidationFailed('The request body must be a JSON object.', [
      { path: '', message: 'must be a JSON object with text, recipients and options' },
    ]);
  }
  for (const field of Object.keys(body)) {
    if (!TOP_LEVEL_FIELDS.has(field)) {
      problems.push({ path: field, message: 'is not an allowed field' });
    }
  }

  const template = checkText(body.text, problems);
  const options = checkOptions(body.options, limits.now, problems);
  const recipients = body.recipients;
  if (!Array.isArray(recipients)) {
    problems.push({ path: 'recipients', message: 'must be an array of recipients' });
  } else if (recipients.length === 0) {
    problems.push({ path: 'recipients', message: 'must hold at least one recipient' });
  } else if (recipients.length > limits.maxRecipients) {
    throw new TooManyRecipients(recipients.length, limits.maxRecipients);
  }
  if (problems.length || !template || !options || !Array.isArray(recipients)) {
    throw ValidationFailed.of(problems);
  }
  return { template, options, recipients };
}

/** The phone numbers of `recipients[start..end)` as given, '' where one is not a string. */
export function phoneNumbersOf(
  recipients: readonly unknown[],
  start: number,
  end: number,
): string[] {
  const numbers: string[] = [];
  for (let i = start; i < Math.min(end, recipients.length); i++) {
    const phoneNumber = isObject(recipients[i]) ? (recipients[i] as Json).phoneNumber : undefined;
    numbers.push(typeof phoneNumber === 'string' ? phoneNumber : '');
  }
  return numbers;
}

function checkText(text: unknown, problems: ErrorDetail[]): ParsedTemplate | undefined {
  if (typeof text !== 'string') {
    problems.push({ path: 'text', message: 'must be a string' });
    return undefined;
  }
  if (text.length === 0 || text.length > MAX_MESSAGE_LENGTH) {
    problems.push({
      path: 'text',
      message: `must be 1 to ${MAX_MESSAGE_LENGTH} characters (UTF-16 units); it has ${text.length}`,
    });
    return undefined;
  }
  const storable = storableTextProblem(text);
  if (storable) {
    problems.push({ path: 'text', message: storable });
    return undefined;
  }
  const { template, problems: placeholderProblems } = parseTemplate(text);
  // {{__proto__}} is among them: no value could fill it safely.
  for (const problem of placeholderProblems) {
    problems.push({ path: 'text', message: problem.message });
  }
  return placeholderProblems.length ? undefined : template;
}

function checkOptions(
  options: unknown,
  now: Date,
  problems: ErrorDetail[],
): BatchOptions | undefined {
  const result: BatchOptions = { priority: 'normal', autoStart: true, scheduleTime: null };
  if (options === undefined) return result;
  if (!isObject(options)) {
    problems.push({ path: 'options', message: 'must be an object' });
    return undefined;
  }
  const before = problems.length;
  for (const field of Object.keys(options)) {
    if (!OPTION_FIELDS.has(field)) {
      problems.push({ path: `options.${field}`, message: 'is not an allowed field' });
    }
  }
  const { priority, autoStart, scheduleTime } = options;
  if (priority !== undefined) {
    if (typeof priority === 'string' && (PRIORITIES as readonly string[]).includes(priority)) {
      result.priority = priority as Priority;
    } else {
      problems.push({
        path: 'options.priority',
        message: `must be one of ${PRIORITIES.join(', ')}`,
      });
    }
  }
  if (autoStart !== undefined) {
    if (typeof autoStart === 'boolean') result.autoStart = autoStart;
    else problems.push({ path: 'options.autoStart', message: 'must be a boolean' });
  }
  if (scheduleTime !== undefined && scheduleTime !== null) {
    const at = typeof scheduleTime === 'string' ? parseIsoDateTime(scheduleTime) : null;
    // The typeof check repeats what `at` already implies so that scheduleTime is a string below.
    if (typeof scheduleTime !== 'string' || !at) {
      problems.push({
        path: 'options.scheduleTime',
        message:
          'must be an ISO 8601 date-time with an offset, e.g. 2030-01-31T09:00:00Z or 2030-01-31T10:00:00+01:00',
      });
    } else if (at.getTime() < now.getTime() - SCHEDULE_CLOCK_SKEW_MS) {
      problems.push({
        path: 'options.scheduleTime',
        message: `must be in the future; ${scheduleTime} has passed`,
      });
    } else {
      result.scheduleTime = at;
    }
  }
  if (options.sendWindow === null) result.sendWindow = null;
  else if (options.sendWindow !== undefined) {
    const parsed = parseSendWindow(options.sendWindow, 'options.sendWindow');
    if ('problems' in parsed) problems.push(...parsed.problems);
    else result.sendWindow = parsed.window;
  }
  return problems.length > before ? undefined : result;
}

/** Every recipient: its fields, its variables against the template, its rendered length. */
export function validateRecipients(
  recipients: readonly unknown[],
  template: ParsedTemplate,
): Pick<ValidatedBatch, 'recipients' | 'phoneNumbers' | 'warnings' | 'warningsTotal' | 'details'> {
  const used = new Set(template.variables);
  const valid = new Array<ValidRecipient>(recipients.length);
  const phoneNumbers = new Array<string>(recipients.length);
  const details: ErrorDetail[] = [];
  const unused = new Map<string, number[]>();

  // Paths are built only for problems: this loop runs up to 100,000 times per request.
  const report = (index: number, field: string, message: string) =>
    details.push({ path: `recipients[${index}]${field}`, index, message });

  for (let index = 0; index < recipients.length; index++) {
    const recipient = recipients[index];
    if (!isObject(recipient)) {
      report(index, '', 'must be an object with phoneNumber and variables');
      continue;
    }
    for (const field in recipient) {
      if (!RECIPIENT_FIELDS.has(field)) report(index, `.${field}`, 'is not an allowed field');
    }
    const { phoneNumber } = recipient;
    if (typeof phoneNumber === 'string') {
      phoneNumbers[index] = phoneNumber;
    } else {
      report(index, '.phoneNumber', 'must be a string');
    }

    const given = recipient.variables ?? {};
    if (!isObject(given)) {
      report(index, '.variables', 'must be an object of strings');
      continue;
    }
    const givenNames = Object.keys(given);
    const countProblem = variableCountProblem(givenNames.length);
    if (countProblem) {
      report(index, '.variables', countProblem);
      continue;
    }
    // A plain object is safe: "__proto__", the one name that could reach its prototype, is refused
    // (a template cannot use it either: it would never be given).
    const variables: Record<string, string> = {};
    let complete = true;
    for (const name of givenNames) {
      const value = given[name];
      // Lengths are checked before anything renders, so a huge value costs one comparison.
      if (!isVariableValue(value)) {
        report(index, `.variables.${variablePath(name)}`, variableValueProblem(value));
        complete = false;
        continue;
      }
      if (!used.has(name)) {
        const nameProblem = variableNameProblem(name);
        if (nameProblem) {
          report(index, `.variables.${variablePath(name)}`, nameProblem);
          complete = false;
          continue;
        }
        let seen = unused.get(name);
        if (!seen) unused.set(name, (seen = []));
        seen.push(index);
        continue;
      }
      const problem = value.trim() === '' ? 'must not be empty' : storableTextProblem(value);
      if (problem) {
        report(index, `.variables.${name}`, problem);
        complete = false;
      } else {
        variables[name] = value;
      }
    }
    let nearMisses: Map<string, string> | undefined;
    for (const name of template.variables) {
      if (Object.hasOwn(given, name)) continue;
      nearMisses ??= byNormalizedName(givenNames);
      const nearMiss = nearMisses.get(normalizeVariableName(name));
      report(
        index,
        `.variables.${name}`,
        nearMiss
          ? `is missing (the recipient gives "${nearMiss}"; variable names are case-sensitive)`
          : 'is missing',
      );
      complete = false;
    }
    if (!complete || typeof phoneNumber !== 'string') continue;

    const rendering = renderTemplate(template, variables);
    if (rendering.rendered === undefined) {
      report(
        index,
        '',
        `renders a message of ${rendering.length} characters; the limit is ${MAX_MESSAGE_LENGTH}`,
      );
      continue;
    }
    const { segments, encoding } = countSegments(rendering.rendered);
    valid[index] = { variables, segments, encoding };
  }
  const warnings = warningsFor(unused, template);
  return {
    recipients: valid,
    phoneNumbers,
    warnings: warnings.slice(0, MAX_WARNINGS),
    warningsTotal: warnings.length,
    details,
  };
}

/** Given names by their near-miss form, to hint at `first_name` when `firstName` is missing. */
function byNormalizedName(names: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of names) {
    const normalized = normalizeVariableName(name);
    if (normalized && !map.has(normalized)) map.set(normalized, name);
  }
  return map;
}

function warningsFor(unused: Map<string, number[]>, template: ParsedTemplate): BatchWarning[] {
  return [...unused].map(([variable, indexes]) => {
    const suggestion = findNearMiss(variable, template.variables);
    const recipients = indexes.slice(0, MAX_WARNING_RECIPIENTS);
    const count = `${indexes.length} recipient${indexes.length === 1 ? '' : 's'}`;
    return suggestion
      ? {
          code: 'NEAR_MISS_VARIABLE',
          message: `Variable "${variable}" (given by ${count}) is not in the template; did you mean "${suggestion}"? It was not stored.`,
          variable,
          suggestion,
          recipients,
          recipientsTotal: indexes.length,
        }
      : {
          code: 'UNUSED_VARIABLE',
          message: `Variable "${variable}" (given by ${count}) is not in the template; it was not stored.`,
          variable,
          recipients,
          recipientsTotal: indexes.length,
        };
  });
}

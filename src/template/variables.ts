// What a message's variables may be: the limits and checks that POST /api/batch and the preview share,
// so that no request can make the answer or the work explode and both routes judge values alike.
import { storableTextProblem } from '../common/text';
import { MAX_MESSAGE_LENGTH } from './template';

export const MAX_VARIABLES = 100;
export const MAX_VARIABLE_NAME_LENGTH = 100;
/** A value longer than a whole message could never be sent. */
export const MAX_VARIABLE_VALUE_LENGTH = MAX_MESSAGE_LENGTH;

export function variableCountProblem(count: number): string | undefined {
  return count > MAX_VARIABLES
    ? `has ${count} variables; at most ${MAX_VARIABLES} are allowed`
    : undefined;
}

/** Names the template uses are valid by its grammar; this is for the others. */
export function variableNameProblem(name: string): string | undefined {
  if (name.length > MAX_VARIABLE_NAME_LENGTH) {
    return `is a variable name longer than ${MAX_VARIABLE_NAME_LENGTH} characters`;
  }
  if (name === '__proto__') return 'is not an allowed variable name';
  return storableTextProblem(name);
}

export function isVariableValue(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_VARIABLE_VALUE_LENGTH;
}

/** What is wrong with a value that isVariableValue refused. */
export function variableValueProblem(value: unknown): string {
  return typeof value === 'string'
    ? `must be at most ${MAX_VARIABLE_VALUE_LENGTH} characters (UTF-16 units); it has ${value.length}`
    : 'must be a string';
}

/** A variable's name as a detail's path shows it: cut, so that a huge name is not echoed back. */
export function variablePath(name: string): string {
  return name.slice(0, MAX_VARIABLE_NAME_LENGTH);
}

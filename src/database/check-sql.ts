// SQL for CHECK constraints that entities declare from the same constants the code uses.

/** `column IN ('a', 'b')`: the values are the code's own constants, never input. */
export function isOneOf(column: string, values: readonly string[]): string {
  return `${column} IN (${values.map((value) => `'${value}'`).join(', ')})`;
}

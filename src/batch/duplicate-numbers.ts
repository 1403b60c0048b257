// A number given twice in one batch is kept once: the first time it appears.

/**
 * For each number, whether it is the first of its kind. `seen` carries what earlier slices of the
 * same batch held, so a batch can be checked step by step.
 */
export function firstOccurrences(numbers: readonly string[], seen: Set<string>): boolean[] {
  return numbers.map((number) => {
    if (seen.has(number)) return false;
    seen.add(number);
    return true;
  });
}

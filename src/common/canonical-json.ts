// JSON with object keys sorted, so two bodies that are equal as JSON hash the same.
import { MAX_BODY_DEPTH } from '../errors/body-shape';
import { ValidationFailed } from '../errors/domain-error';

export function canonicalJson(value: unknown, depth = 1): string {
  if (depth > MAX_BODY_DEPTH) {
    // Recursion is bounded here, so a hostile body cannot overflow the stack.
    throw ValidationFailed.of([
      { path: '', message: `nests deeper than ${MAX_BODY_DEPTH} levels` },
    ]);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => {
        const item = (value as Record<string, unknown>)[key];
        return `${JSON.stringify(key)}:${canonicalJson(item, depth + 1)}`;
      });
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

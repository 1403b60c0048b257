// Checks every JSON body once, before any code walks it recursively: nesting deeper than any request
// needs (which would overflow recursive walkers such as hashing or class-transformer) and
// "__proto__" keys (which class-transformer would turn into an object's prototype) are a 400.
import type { ErrorDetail } from './domain-error';

export const MAX_BODY_DEPTH = 32;

export function bodyShapeProblem(body: unknown): ErrorDetail | undefined {
  // The fast pass keeps no paths (it runs over every recipient of every batch); the rare failure
  // walks again to say where.
  return hasProblem(body) ? locateProblem(body) : undefined;
}

function hasProblem(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const values: object[] = [body];
  const depths: number[] = [1];
  while (values.length) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (depth > MAX_BODY_DEPTH) return true;
    for (const key in value) {
      if (key === '__proto__') return true;
      const child = (value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

function locateProblem(body: unknown): ErrorDetail {
  const stack: { value: object; depth: number; path: string }[] = [
    { value: body as object, depth: 1, path: '' },
  ];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (frame.depth > MAX_BODY_DEPTH) {
      return { path: frame.path, message: `nests deeper than ${MAX_BODY_DEPTH} levels` };
    }
    const isArray = Array.isArray(frame.value);
    for (const key in frame.value) {
      const path = isArray ? `${frame.path}[${key}]` : frame.path ? `${frame.path}.${key}` : key;
      if (key === '__proto__') return { path, message: 'is not an allowed key' };
      const child = (frame.value as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        stack.push({ value: child, depth: frame.depth + 1, path });
      }
    }
  }
  return { path: '', message: 'is not an allowed body' };
}

// Where two JSON values differ, as a reviewer reads it: one line per differing path.

/** Lines such as `paths./api/keys.post.responses.201: only in the code`, at most `limit`. */
export function jsonDifferences(
  committed: unknown,
  code: unknown,
  limit = 20,
): { lines: string[]; total: number } {
  const lines: string[] = [];
  let total = 0;
  const report = (line: string) => {
    total += 1;
    if (lines.length < limit) lines.push(line);
  };
  walk(committed, code, '', report);
  return { lines, total };
}

function walk(a: unknown, b: unknown, path: string, report: (line: string) => void): void {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const at = path ? `${path}.${key}` : key;
      if (!(key in b)) report(`${at}: only in the committed file`);
      else if (!(key in a)) report(`${at}: only in the code`);
      else walk(a[key], b[key], at, report);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((item, i) => walk(item, b[i], `${path}[${i}]`, report));
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    report(`${path || '(the document)'}: committed ${brief(a)}, code ${brief(b)}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// docs/openapi.json against the code: `npm run openapi` writes it, and npm test fails when it is stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonDifferences } from './json-differences';

/** Resolves to the repository's docs/ from src/openapi (ts-node, jest) and dist/openapi alike. */
export const COMMITTED_OPENAPI = join(__dirname, '..', '..', 'docs', 'openapi.json');

export const REGENERATE_OPENAPI = 'npm run openapi';

/** The committed text, or undefined when there is no file yet. */
export function committedOpenApi(): string | undefined {
  try {
    return readFileSync(COMMITTED_OPENAPI, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Why the committed file is not the code's document, or undefined when it is, byte for byte. */
export function openApiDrift(committed: string | undefined, code: string): string | undefined {
  if (committed === code) return undefined;
  const advice = `Run \`${REGENERATE_OPENAPI}\` and commit docs/openapi.json with the change.`;
  if (committed === undefined) return `docs/openapi.json is missing. ${advice}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(committed);
  } catch {
    return `docs/openapi.json is not valid JSON. ${advice}`;
  }
  const { lines, total } = jsonDifferences(parsed, JSON.parse(code));
  const where = total
    ? [
        `${total} difference${total === 1 ? '' : 's'} (committed file, then code):`,
        ...lines.map((line) => `  ${line}`),
        ...(total > lines.length ? [`  ... and ${total - lines.length} more`] : []),
      ]
    : ['Same content, other formatting (key order, indentation or final newline).'];
  return [
    `docs/openapi.json is not the OpenAPI document the code serves. ${advice}`,
    ...where,
  ].join('\n');
}

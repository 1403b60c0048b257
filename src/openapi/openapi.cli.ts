// `npm run openapi`: writes the code's OpenAPI document to docs/openapi.json (README, "API").
// `npm run openapi -- --check`: writes nothing; exits 1 and shows the differences when it is stale.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { COMMITTED_OPENAPI, committedOpenApi, openApiDrift } from './committed-openapi';
import { openApiOfCode } from './openapi-of-code';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.some((arg) => arg !== '--check')) {
    process.stderr.write('Usage: npm run openapi [-- --check]\n');
    process.exitCode = 2;
    return;
  }
  const code = await openApiOfCode();
  const drift = openApiDrift(committedOpenApi(), code);
  if (args.includes('--check')) {
    process.stdout.write(drift ? `${drift}\n` : 'docs/openapi.json is up to date.\n');
    if (drift) process.exitCode = 1;
    return;
  }
  if (!drift) {
    process.stdout.write('docs/openapi.json is up to date.\n');
    return;
  }
  writeFileSync(COMMITTED_OPENAPI, code);
  process.stdout.write('Wrote docs/openapi.json.\n');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});

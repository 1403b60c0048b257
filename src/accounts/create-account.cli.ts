// `npm run account:create -- <name>`: creates an account and prints its API key alone on the last line.
import 'reflect-metadata';
import { cliAccountsService } from './cli-accounts';
import { withMigratedDatabase } from './cli-database';

async function main(): Promise<void> {
  const name = process.argv.slice(2).join(' ').trim();
  if (!name) {
    process.stderr.write('Usage: npm run account:create -- <name>\n');
    process.exitCode = 2;
    return;
  }
  await withMigratedDatabase(async (dataSource) => {
    const { account, apiKey } = await cliAccountsService(dataSource).create(name);
    process.stdout.write(
      `Created account "${account.name}" (${account.id}). Its API key, shown only once:\n`,
    );
    process.stdout.write(`${apiKey}\n`);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

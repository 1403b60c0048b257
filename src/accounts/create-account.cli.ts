// `npm run account:create -- <name>`: creates an account and prints its API key alone on the last line.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/configuration';
import { dataSourceOptions } from '../database/data-source-options';
import { ADVISORY_LOCKS, ensureDatabaseExists, withAdvisoryLock } from '../database/database-setup';
import { AccountsService } from './accounts.service';

async function main(): Promise<void> {
  const name = process.argv.slice(2).join(' ').trim();
  if (!name) {
    process.stderr.write('Usage: npm run account:create -- <name>\n');
    process.exitCode = 2;
    return;
  }
  const config = databaseConfig();
  await ensureDatabaseExists(config.url);
  const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  try {
    await withAdvisoryLock(dataSource, ADVISORY_LOCKS.migrate, () =>
      dataSource.runMigrations({ transaction: 'each' }),
    );
    const { account, apiKey } = await new AccountsService(dataSource).create(name);
    process.stdout.write(
      `Created account "${account.name}" (${account.id}). Its API key, shown only once:\n`,
    );
    process.stdout.write(`${apiKey}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

// `npm run account:set -- <account id or name> [--daily-messages N|default]
// [--daily-segments N|default] [--countries US,GB|default]`: the operator's per-account overrides
// of the daily quotas and destination countries; prints the account's resulting settings.
import 'reflect-metadata';
import { DataSource, type Repository } from 'typeorm';
import { databaseConfig, destinationsConfig, quotaConfig } from '../config/configuration';
import { isUuid } from '../common/uuid-v7';
import { dataSourceOptions } from '../database/data-source-options';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../database/database-setup';
import { AccountEntity } from './account.entity';
import {
  describeSettings,
  parseSetAccountArgs,
  USAGE,
  UsageError,
  type SetAccountArgs,
} from './account-settings';

/** The account is unknown or its name is ambiguous: exit 1 with the reason. */
class AccountNotFound extends Error {}

async function main(): Promise<void> {
  let args: SetAccountArgs;
  try {
    args = parseSetAccountArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`account:set: ${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  // Read before connecting: a bad setting in this environment is named at once.
  const quotas = quotaConfig();
  const destinations = destinationsConfig();
  const dataSource = await new DataSource(dataSourceOptions(databaseConfig())).initialize();
  try {
    await withAdvisoryLock(dataSource, ADVISORY_LOCKS.migrate, () =>
      dataSource.runMigrations({ transaction: 'each' }),
    );
    const account = await dataSource.transaction(async (manager) => {
      const found = await findAccount(manager.getRepository(AccountEntity), args.account);
      if (Object.keys(args.change).length) {
        await manager.update(AccountEntity, { id: found.id }, args.change);
      }
      return manager.findOneByOrFail(AccountEntity, { id: found.id });
    });
    process.stdout.write(
      describeSettings(account, {
        dailyMessages: quotas.dailyMessages,
        dailySegments: quotas.dailySegments,
        allowedCountries: destinations.allowedCountries,
      }),
    );
  } finally {
    await dataSource.destroy();
  }
}

/** By id, else by exact name; a name several accounts share must be given as an id. */
async function findAccount(
  accounts: Repository<AccountEntity>,
  account: string,
): Promise<AccountEntity> {
  if (isUuid(account)) {
    const byId = await accounts.findOneBy({ id: account });
    if (byId) return byId;
  }
  const byName = await accounts.find({ where: { name: account }, order: { createdAt: 'ASC' } });
  if (byName.length === 1) return byName[0];
  if (byName.length > 1) {
    throw new AccountNotFound(
      `${byName.length} accounts are named "${account}"; give the id of one: ${byName.map((a) => a.id).join(', ')}`,
    );
  }
  throw new AccountNotFound(`No account has the id or name "${account}".`);
}

main().catch((error: unknown) => {
  process.stderr.write(`account:set: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

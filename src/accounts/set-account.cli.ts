// `npm run account:set -- <account id or name> [--daily-messages N|default]
// [--daily-segments N|default] [--countries US,GB|default]`: the operator's per-account overrides
// of the daily quotas and destination countries; prints the account's resulting settings.
import 'reflect-metadata';
import { destinationsConfig, quotaConfig } from '../config/configuration';
import {
  describeSettings,
  parseSetAccountArgs,
  USAGE,
  UsageError,
  type SetAccountArgs,
} from './account-settings';
import { cliAccountsService, findOneAccount } from './cli-accounts';
import { withMigratedDatabase } from './cli-database';

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
  await withMigratedDatabase(async (dataSource) => {
    // An unknown or ambiguous account ends here with its message (exit 1).
    const found = await findOneAccount(dataSource, args.account);
    const account = await cliAccountsService(dataSource).changeSettings(found.id, args.change);
    process.stdout.write(
      describeSettings(account, {
        dailyMessages: quotas.dailyMessages,
        dailySegments: quotas.dailySegments,
        allowedCountries: destinations.allowedCountries,
      }),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`account:set: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

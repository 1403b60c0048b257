// The operator's key lifecycle (README, "API keys"):
//   npm run key:create -- <account id or name> [key name]   prints the new key alone on its last line
//   npm run key:list [-- <account id or name>]
//   npm run key:revoke -- <key id>
// Exit codes: 0 done, 1 unexpected failure, 2 usage or invalid input, 3 unknown account or key,
// 4 ambiguous account name, 5 refused (the account's last key, or its cap of keys).
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { isUuid } from '../common/uuid-v7';
import { redisConfig } from '../config/configuration';
import { DomainError } from '../errors/domain-error';
// A process of its own without Socket.IO: it reaches the gateways of the API processes through the
// Redis emitter (the Nest modules of Accounts never import Monitoring).
import { disconnectKeySockets } from '../monitoring/gateway/key-sockets-notice';
import type { AccountEntity } from './account.entity';
import { AccountLookupFailed, cliApiKeysService, findOneAccount } from './cli-accounts';
import { withMigratedDatabase } from './cli-database';
// Names come from people: printed with control and invisible characters made harmless.
import { printable } from './key-name';
import { KEY_SOCKETS_CLOSED_WITHIN_MS } from './key-revocations';

const USAGE = `Usage:
  npm run key:create -- <account id or name> [key name]
  npm run key:list [-- <account id or name>]
  npm run key:revoke -- <key id>
`;

const EXIT = { usage: 2, notFound: 3, ambiguous: 4, refused: 5 } as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

async function findAccount(dataSource: DataSource, idOrName: string): Promise<AccountEntity> {
  try {
    return await findOneAccount(dataSource, idOrName);
  } catch (error) {
    if (!(error instanceof AccountLookupFailed)) throw error;
    throw new CliError(error.message, error.reason === 'unknown' ? EXIT.notFound : EXIT.ambiguous);
  }
}

async function create(dataSource: DataSource, args: string[]): Promise<void> {
  const [account, ...nameWords] = args;
  if (!account) throw new CliError(USAGE, EXIT.usage);
  const name = nameWords.length ? nameWords.join(' ') : 'cli';
  const owner = await findAccount(dataSource, account);
  const { key, apiKey } = await cliApiKeysService(dataSource).create(owner.id, name);
  process.stdout.write(
    `Created key "${printable(key.name)}" (${key.id}) for account "${printable(owner.name)}" (${owner.id}). The key, shown only once:\n`,
  );
  process.stdout.write(`${apiKey}\n`);
}

async function list(dataSource: DataSource, args: string[]): Promise<void> {
  if (args.length > 1) throw new CliError(USAGE, EXIT.usage);
  const account = args[0] ? await findAccount(dataSource, args[0]) : undefined;
  const rows = await cliApiKeysService(dataSource).listForOperator(account?.id);
  if (!rows.length) {
    process.stdout.write('No active keys.\n');
    return;
  }
  const table = [
    ['KEY ID', 'ACCOUNT ID', 'ACCOUNT', 'NAME', 'PREFIX', 'CREATED', 'LAST USED'],
    ...rows.map((row) => [
      row.id,
      row.accountId,
      printable(row.accountName),
      printable(row.name),
      row.displayPrefix,
      row.createdAt.toISOString(),
      row.lastUsedAt?.toISOString() ?? 'never',
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((cells) => [...cells[i]].length)));
  for (const cells of table) {
    process.stdout.write(
      `${cells
        .map((cell, i) => cell + ' '.repeat(widths[i] - [...cell].length))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

async function revoke(dataSource: DataSource, args: string[]): Promise<void> {
  const [keyId] = args;
  if (args.length !== 1 || !keyId) throw new CliError(USAGE, EXIT.usage);
  if (!isUuid(keyId)) {
    throw new CliError(
      `"${printable(keyId)}" is not a key id (a UUID, as npm run key:list shows).`,
      EXIT.usage,
    );
  }
  const id = keyId.toLowerCase();
  try {
    await cliApiKeysService(dataSource).revoke(id);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'KEY_NOT_FOUND') {
      throw new CliError(
        `No active key has id ${id} (unknown, or revoked already).`,
        EXIT.notFound,
      );
    }
    throw error;
  }
  process.stdout.write(`Revoked key ${id}; it authenticates nothing from now on.\n`);
  try {
    await disconnectKeySockets(redisConfig(), id);
    process.stdout.write('Its live Socket.IO connections are being closed on every API process.\n');
  } catch (error) {
    process.stderr.write(
      `Could not reach Redis (${(error as Error).message}): the API processes close the key's live sockets at their next check of their sockets' keys, within ${KEY_SOCKETS_CLOSED_WITHIN_MS / 1000} s.\n`,
    );
  }
}

const COMMANDS: Record<string, (dataSource: DataSource, args: string[]) => Promise<void>> = {
  create,
  list,
  revoke,
};

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const run = command ? COMMANDS[command] : undefined;
  if (!run) throw new CliError(USAGE, EXIT.usage);
  await withMigratedDatabase((dataSource) => run(dataSource, args));
}

main().catch((error: unknown) => {
  if (error instanceof CliError) {
    process.stderr.write(`${error.message.trimEnd()}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof DomainError) {
    process.stderr.write(
      `${error.message}${error.code === 'VALIDATION_FAILED' ? '' : ` (${error.code})`}\n`,
    );
    process.exitCode = error.code === 'VALIDATION_FAILED' ? EXIT.usage : EXIT.refused;
  } else {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
});

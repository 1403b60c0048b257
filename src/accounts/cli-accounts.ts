// What the operator's CLI scripts share besides the database (cli-database.ts): the services, wired
// as AccountsModule wires them, and the account named on the command line.
import type { DataSource } from 'typeorm';
import type { AccountEntity } from './account.entity';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
// Names come from people: printed with control and invisible characters made harmless.
import { printable } from './key-name';
import { KeyRevocations } from './key-revocations';

export function cliAccountsService(dataSource: DataSource): AccountsService {
  return new AccountsService(
    dataSource,
    new AccountsRepository(dataSource),
    new ApiKeysRepository(dataSource),
  );
}

export function cliApiKeysService(dataSource: DataSource): ApiKeysService {
  // No live sockets in this process: a revocation reaches the API processes through Redis.
  return new ApiKeysService(
    dataSource,
    new AccountsRepository(dataSource),
    new ApiKeysRepository(dataSource),
    new KeyRevocations(),
  );
}

/** The account on the command line is unknown, or its name is shared: the message says which. */
export class AccountLookupFailed extends Error {
  constructor(
    message: string,
    readonly reason: 'unknown' | 'ambiguous',
  ) {
    super(message);
  }
}

/** By id, else by exact name; a name several accounts share must be given as an id. */
export async function findOneAccount(
  dataSource: DataSource,
  idOrName: string,
): Promise<AccountEntity> {
  const found = await cliAccountsService(dataSource).findAccounts(idOrName);
  if (found.length === 1) return found[0];
  if (!found.length) {
    throw new AccountLookupFailed(
      `No account has the id or name "${printable(idOrName)}".`,
      'unknown',
    );
  }
  throw new AccountLookupFailed(
    `${found.length} accounts are named "${printable(idOrName)}"; name one by its id:\n` +
      found.map((a) => `  ${a.id}  created ${a.createdAt.toISOString()}`).join('\n'),
    'ambiguous',
  );
}

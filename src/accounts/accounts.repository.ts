// The accounts table: every read and write of an account row by the Accounts module.
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isUuid } from '../common/uuid-v7';
import { queryRows } from '../database/query-rows';
import { AccountEntity } from './account.entity';
import type { SettingsChange } from './account-settings';

@Injectable()
export class AccountsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** A new account named `name`, in the caller's transaction. */
  insert(manager: EntityManager, name: string): Promise<AccountEntity> {
    return manager.save(manager.create(AccountEntity, { name }));
  }

  /**
   * Takes the account's row lock for the transaction; false when there is no such account. NO KEY
   * UPDATE: it excludes the other creations and revocations of the account, not the FOR KEY SHARE
   * that every insert of a row referencing the account (a batch, a usage row) takes.
   */
  async lockForKeyChanges(manager: EntityManager, accountId: string): Promise<boolean> {
    const rows = await queryRows(
      manager,
      'SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE',
      [accountId],
    );
    return rows.length > 0;
  }

  /** The account whose id is `idOrName`, or else every account named exactly `idOrName`. */
  async findByIdOrName(idOrName: string): Promise<AccountEntity[]> {
    const accounts = this.dataSource.getRepository(AccountEntity);
    const byId = isUuid(idOrName) ? await accounts.findOneBy({ id: idOrName.toLowerCase() }) : null;
    if (byId) return [byId];
    return accounts.find({ where: { name: idOrName }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  hasAny(): Promise<boolean> {
    return this.dataSource.getRepository(AccountEntity).exists();
  }

  /** Applies `change` (nothing when empty) and answers the account as it then is. */
  updateSettings(accountId: string, change: SettingsChange): Promise<AccountEntity> {
    return this.dataSource.transaction(async (manager) => {
      if (Object.keys(change).length) {
        await manager.update(AccountEntity, { id: accountId }, change);
      }
      return manager.findOneByOrFail(AccountEntity, { id: accountId });
    });
  }
}

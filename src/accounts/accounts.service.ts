import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key';

export interface CreatedAccount {
  account: AccountEntity;
  /** The key in clear: shown once to whoever created the account, never stored. */
  apiKey: string;
}

@Injectable()
export class AccountsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates an account with a new random key, or with `apiKey` when one is given. */
  async create(name: string, apiKey = generateApiKey()): Promise<CreatedAccount> {
    return this.dataSource.transaction(async (manager) => {
      const account = await manager.save(manager.create(AccountEntity, { name }));
      await this.addKey(manager, account.id, apiKey, 'default');
      return { account, apiKey };
    });
  }

  /** The account that owns `apiKey`, or null. */
  async findAccountIdByKey(apiKey: string): Promise<string | null> {
    const key = await this.dataSource
      .getRepository(ApiKeyEntity)
      .findOne({ where: { keyHash: hashApiKey(apiKey) }, select: { accountId: true } });
    return key?.accountId ?? null;
  }

  async hasAnyAccount(): Promise<boolean> {
    return this.dataSource.getRepository(AccountEntity).exists();
  }

  private async addKey(
    manager: EntityManager,
    accountId: string,
    apiKey: string,
    name: string,
  ): Promise<void> {
    await manager.insert(ApiKeyEntity, {
      accountId,
      name,
      keyHash: hashApiKey(apiKey),
      displayPrefix: displayPrefix(apiKey),
    });
  }
}

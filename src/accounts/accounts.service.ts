import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../common/uuid-v7';
import { AccountEntity } from './account.entity';
import { ApiKeyEntity } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key';
import { KeyUsageWrites } from './key-usage';

export interface CreatedAccount {
  account: AccountEntity;
  /** The key in clear: shown once to whoever created the account, never stored. */
  apiKey: string;
}

/** Who an active API key speaks for. */
export interface KeyOwner {
  accountId: string;
  keyId: string;
}

@Injectable()
export class AccountsService {
  private readonly logger = new Logger(AccountsService.name);
  private readonly usage = new KeyUsageWrites();

  constructor(private readonly dataSource: DataSource) {}

  /** Creates an account with a new random key, or with `apiKey` when one is given. */
  async create(name: string, apiKey = generateApiKey()): Promise<CreatedAccount> {
    return this.dataSource.transaction(async (manager) => {
      const account = await manager.save(manager.create(AccountEntity, { name }));
      await this.addKey(manager, account.id, apiKey, 'default');
      return { account, apiKey };
    });
  }

  /**
   * The account and key of `apiKey` if it is active (not revoked), or null. Read from the database
   * every time, so a revocation takes effect at the next request. Records the use (lastUsedAt) at
   * most once a minute per key in this process, without waiting for it.
   */
  async authenticate(apiKey: string): Promise<KeyOwner | null> {
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOne({
      where: { keyHash: hashApiKey(apiKey) },
      select: { id: true, accountId: true, revokedAt: true },
    });
    if (!key || key.revokedAt) return null;
    if (this.usage.due(key.id, Date.now())) void this.recordUse(key.id);
    return { accountId: key.accountId, keyId: key.id };
  }

  /** The key `apiKey`, active or revoked, or null when no account ever held it. */
  async findKey(apiKey: string): Promise<(KeyOwner & { revoked: boolean }) | null> {
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOne({
      where: { keyHash: hashApiKey(apiKey) },
      select: { id: true, accountId: true, revokedAt: true },
    });
    return key && { accountId: key.accountId, keyId: key.id, revoked: key.revokedAt !== null };
  }

  /** Those of `keyIds` that are still active: one query, for re-checking live connections. */
  async activeKeyIds(keyIds: readonly string[]): Promise<Set<string>> {
    if (!keyIds.length) return new Set();
    const rows = await this.dataSource.query<{ id: string }[]>(
      'SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL',
      [keyIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Makes the row of `apiKey` show what displayPrefix shows today (a no-op when it does). */
  async correctDisplayPrefix(apiKey: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE api_keys SET display_prefix = $2 WHERE key_hash = $1 AND display_prefix <> $2',
      [hashApiKey(apiKey), displayPrefix(apiKey)],
    );
  }

  /** The account whose id is `idOrName`, or else every account named exactly `idOrName`. */
  async findAccounts(idOrName: string): Promise<AccountEntity[]> {
    const accounts = this.dataSource.getRepository(AccountEntity);
    const byId = isUuid(idOrName) ? await accounts.findOneBy({ id: idOrName.toLowerCase() }) : null;
    if (byId) return [byId];
    return accounts.find({ where: { name: idOrName }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async hasAnyAccount(): Promise<boolean> {
    return this.dataSource.getRepository(AccountEntity).exists();
  }

  private async recordUse(keyId: string): Promise<void> {
    try {
      // GREATEST: a write of another process, or one that waited, never moves it backwards.
      await this.dataSource.query(
        'UPDATE api_keys SET last_used_at = GREATEST(last_used_at, now()) WHERE id = $1',
        [keyId],
      );
    } catch (error) {
      this.usage.failed(keyId);
      this.logger.warn(`Could not record the use of key ${keyId}: ${(error as Error).message}`);
    }
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

import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AccountEntity } from './account.entity';
import type { SettingsChange } from './account-settings';
import { AccountsRepository } from './accounts.repository';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key';
import { ApiKeysRepository } from './api-keys.repository';
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

  constructor(
    private readonly dataSource: DataSource,
    private readonly accounts: AccountsRepository,
    private readonly keys: ApiKeysRepository,
  ) {}

  /** Creates an account with a new random key, or with `apiKey` when one is given. */
  async create(name: string, apiKey = generateApiKey()): Promise<CreatedAccount> {
    return this.dataSource.transaction(async (manager) => {
      const account = await this.accounts.insert(manager, name);
      await this.keys.insert(manager, {
        accountId: account.id,
        name: 'default',
        keyHash: hashApiKey(apiKey),
        displayPrefix: displayPrefix(apiKey),
      });
      return { account, apiKey };
    });
  }

  /**
   * The account and key of `apiKey` if it is active (not revoked), or null. Read from the database
   * every time, so a revocation takes effect at the next request. Records the use (lastUsedAt) at
   * most once a minute per key in this process, without waiting for it.
   */
  async authenticate(apiKey: string): Promise<KeyOwner | null> {
    const key = await this.keys.findByHash(hashApiKey(apiKey));
    if (!key || key.revokedAt) return null;
    if (this.usage.due(key.id, Date.now())) void this.recordUse(key.id);
    return { accountId: key.accountId, keyId: key.id };
  }

  /** The key `apiKey`, active or revoked, or null when no account ever held it. */
  async findKey(apiKey: string): Promise<(KeyOwner & { revoked: boolean }) | null> {
    const key = await this.keys.findByHash(hashApiKey(apiKey));
    return key && { accountId: key.accountId, keyId: key.id, revoked: key.revokedAt !== null };
  }

  /** Those of `keyIds` that are still active: one query, for re-checking live connections. */
  async activeKeyIds(keyIds: readonly string[]): Promise<Set<string>> {
    if (!keyIds.length) return new Set();
    return this.keys.activeIds(keyIds);
  }

  /** Makes the row of `apiKey` show what displayPrefix shows today (a no-op when it does). */
  async correctDisplayPrefix(apiKey: string): Promise<void> {
    await this.keys.setDisplayPrefix(hashApiKey(apiKey), displayPrefix(apiKey));
  }

  /** The account whose id is `idOrName`, or else every account named exactly `idOrName`. */
  findAccounts(idOrName: string): Promise<AccountEntity[]> {
    return this.accounts.findByIdOrName(idOrName);
  }

  /** The operator's overrides of an account's settings (account:set); the account as it then is. */
  changeSettings(accountId: string, change: SettingsChange): Promise<AccountEntity> {
    return this.accounts.updateSettings(accountId, change);
  }

  hasAnyAccount(): Promise<boolean> {
    return this.accounts.hasAny();
  }

  private async recordUse(keyId: string): Promise<void> {
    try {
      await this.keys.recordUse(keyId);
    } catch (error) {
      this.usage.failed(keyId);
      this.logger.warn(`Could not record the use of key ${keyId}: ${(error as Error).message}`);
    }
  }
}

// The api_keys table: every read and write of a key row (keys are stored as their SHA-256 hash).
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import { ApiKeyEntity } from './api-key.entity';

/** An active key with its account's name, as an operator lists them. */
export interface OperatorKeyRow {
  id: string;
  accountId: string;
  accountName: string;
  name: string;
  displayPrefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What a revocation checks, read under the account's lock. */
export interface RevocationState {
  /** The key to revoke is an active key of the account. */
  found: boolean;
  /** The key that made the request is an active key of the account. */
  caller: boolean;
  /** The account's active keys. */
  active: number;
}

export type KeyLookup = Pick<ApiKeyEntity, 'id' | 'accountId' | 'revokedAt'>;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The key whose hash is `keyHash`, active or revoked, or null. */
  findByHash(keyHash: string): Promise<KeyLookup | null> {
    return this.dataSource.getRepository(ApiKeyEntity).findOne({
      where: { keyHash },
      select: { id: true, accountId: true, revokedAt: true },
    });
  }

  /** Those of `keyIds` that are still active, in one query. */
  async activeIds(keyIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      'SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL',
      [keyIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Sets the display prefix of the key whose hash is `keyHash` (a no-op when it shows it already). */
  async setDisplayPrefix(keyHash: string, displayPrefix: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE api_keys SET display_prefix = $2 WHERE key_hash = $1 AND display_prefix <> $2',
      [keyHash, displayPrefix],
    );
  }

  async recordUse(keyId: string): Promise<void> {
    // GREATEST: a write of another process, or one that waited, never moves it backwards.
    await this.dataSource.query(
      'UPDATE api_keys SET last_used_at = GREATEST(last_used_at, now()) WHERE id = $1',
      [keyId],
    );
  }

  /** The account's active keys, oldest first. */
  listActive(accountId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({
      where: { accountId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Active keys of one account or of all, with account names. */
  listActiveForOperator(accountId?: string): Promise<OperatorKeyRow[]> {
    return this.dataSource.query<OperatorKeyRow[]>(
      `SELECT k.id, k.account_id AS "accountId", a.name AS "accountName", k.name,
              k.display_prefix AS "displayPrefix", k.created_at AS "createdAt",
              k.last_used_at AS "lastUsedAt"
         FROM api_keys k JOIN accounts a ON a.id = k.account_id
        WHERE k.revoked_at IS NULL AND ($1::uuid IS NULL OR k.account_id = $1::uuid)
        ORDER BY a.created_at, a.id, k.created_at, k.id`,
      [accountId ?? null],
    );
  }

  /** A new active key, in the caller's transaction. */
  insert(
    manager: EntityManager,
    key: Pick<ApiKeyEntity, 'accountId' | 'name' | 'keyHash' | 'displayPrefix'>,
  ): Promise<ApiKeyEntity> {
    return manager.save(
      manager.create(ApiKeyEntity, { ...key, lastUsedAt: null, revokedAt: null }),
    );
  }

  async isActiveKeyOf(manager: EntityManager, accountId: string, keyId: string): Promise<boolean> {
    const rows = await queryRows(
      manager,
      'SELECT 1 FROM api_keys WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL',
      [keyId, accountId],
    );
    return rows.length > 0;
  }

  /** The account that holds the key, active or revoked, or null for an unknown key. */
  async ownerOf(manager: EntityManager, keyId: string): Promise<string | null> {
    const [row] = await queryRows<{ account_id: string }>(
      manager,
      'SELECT account_id FROM api_keys WHERE id = $1',
      [keyId],
    );
    return row?.account_id ?? null;
  }

  async activeCount(manager: EntityManager, accountId: string): Promise<number> {
    const [row] = await queryRows<{ active: number }>(
      manager,
      'SELECT count(*)::int AS active FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL',
      [accountId],
    );
    return row?.active ?? 0;
  }

  /** One read of what a revocation of `keyId` by `callerKeyId` (if any) must check. */
  async revocationState(
    manager: EntityManager,
    accountId: string,
    keyId: string,
    callerKeyId?: string,
  ): Promise<RevocationState> {
    const [state] = await queryRows<{
      found: boolean | null;
      caller: boolean | null;
      active: number;
    }>(
      manager,
      `SELECT bool_or(id = $2) AS found, bool_or(id = $3::uuid) AS caller, count(*)::int AS active
         FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL`,
      [accountId, keyId, callerKeyId ?? null],
    );
    return { found: !!state?.found, caller: !!state?.caller, active: state?.active ?? 0 };
  }

  async revoke(manager: EntityManager, keyId: string): Promise<void> {
    await manager.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [keyId]);
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import {
  KeyNotFound,
  LastKey,
  LimitReached,
  Unauthorized,
  ValidationFailed,
} from '../errors/domain-error';
import { ApiKeyEntity } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key';
import { keyNameProblem } from './key-name';
import { KeyRevocations } from './key-revocations';

/** Active keys an account may hold at once: enough for every deploy and person, and a bounded table. */
export const MAX_ACTIVE_KEYS_PER_ACCOUNT = 100;

export interface CreatedKey {
  key: ApiKeyEntity;
  /** The key in clear: shown once to whoever created it, never stored. */
  apiKey: string;
}

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

/**
 * The lifecycle of an account's API keys: list, create, revoke. Creations and revocations of one
 * account take turns on the account's row lock, so the cap and the last-key rule hold under
 * concurrency (two revocations of an account's last two keys cannot both pass). Over the API, the
 * key that authenticated the request is checked again under that lock: a request whose key was
 * revoked while it waited creates and revokes nothing (401, as the guard would answer).
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: KeyRevocations,
  ) {}

  /** The account's active keys, oldest first. */
  async list(accountId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({
      where: { accountId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** Active keys of one account or of all, with account names (the operator's CLI). */
  async listForOperator(accountId?: string): Promise<OperatorKeyRow[]> {
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

  /**
   * A new key for the account; LIMIT_REACHED past MAX_ACTIVE_KEYS_PER_ACCOUNT active keys.
   * `callerKeyId`: the key that authenticated the request (the API), UNAUTHORIZED unless it is
   * still an active key of the account once the lock is held; none for the operator.
   */
  async create(accountId: string, name: string, callerKeyId?: string): Promise<CreatedKey> {
    const problem = keyNameProblem(name);
    if (problem) throw ValidationFailed.of([{ path: 'name', message: problem }]);
    const apiKey = generateApiKey();
    const key = await this.dataSource.transaction(async (manager) => {
      await this.lockAccount(manager, accountId);
      if (callerKeyId && !(await this.isActiveKeyOf(manager, accountId, callerKeyId))) {
        throw revokedCaller();
      }
      if ((await this.activeCount(manager, accountId)) >= MAX_ACTIVE_KEYS_PER_ACCOUNT) {
        throw new LimitReached(
          `This account has ${MAX_ACTIVE_KEYS_PER_ACCOUNT} active API keys, the most it may; revoke one first.`,
        );
      }
      return manager.save(
        manager.create(ApiKeyEntity, {
          accountId,
          name,
          keyHash: hashApiKey(apiKey),
          displayPrefix: displayPrefix(apiKey),
          lastUsedAt: null,
          revokedAt: null,
        }),
      );
    });
    return { key, apiKey };
  }

  /**
   * Revokes the key: of `accountId` when given (the API), of whichever account holds it otherwise
   * (the operator). KEY_NOT_FOUND for an unknown, foreign or already revoked key; LAST_KEY for the
   * account's last active key. Live connections of the key are told once it is committed.
   * `callerKeyId` as for create: UNAUTHORIZED, before anything else, unless it is still active.
   */
  async revoke(keyId: string, accountId?: string, callerKeyId?: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const owner = accountId ?? (await this.ownerOf(manager, keyId));
      if (!owner || !(await this.lockAccount(manager, owner))) throw new KeyNotFound(keyId);
      // Read under the lock: a concurrent revocation of this account's keys waits for our commit.
      const [state] = await queryRows<{
        found: boolean | null;
        caller: boolean | null;
        active: number;
      }>(
        manager,
        `SELECT bool_or(id = $2) AS found, bool_or(id = $3::uuid) AS caller, count(*)::int AS active
           FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL`,
        [owner, keyId, callerKeyId ?? null],
      );
      if (callerKeyId && !state?.caller) throw revokedCaller();
      if (!state?.found) throw new KeyNotFound(keyId);
      if (state.active <= 1) throw new LastKey();
      await manager.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [keyId]);
    });
    this.revocations.revoked(keyId);
  }

  /**
   * Takes the account's row lock for the transaction; false when there is no such account. NO KEY
   * UPDATE: it excludes the other creations and revocations of the account, not the FOR KEY SHARE
   * that every insert of a row referencing the account (a batch, a usage row) takes.
   */
  private async lockAccount(manager: EntityManager, accountId: string): Promise<boolean> {
    const rows = await queryRows(
      manager,
      'SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE',
      [accountId],
    );
    return rows.length > 0;
  }

  private async isActiveKeyOf(
    manager: EntityManager,
    accountId: string,
    keyId: string,
  ): Promise<boolean> {
    const rows = await queryRows(
      manager,
      'SELECT 1 FROM api_keys WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL',
      [keyId, accountId],
    );
    return rows.length > 0;
  }

  private async ownerOf(manager: EntityManager, keyId: string): Promise<string | null> {
    const [row] = await queryRows<{ account_id: string }>(
      manager,
      'SELECT account_id FROM api_keys WHERE id = $1',
      [keyId],
    );
    return row?.account_id ?? null;
  }

  private async activeCount(manager: EntityManager, accountId: string): Promise<number> {
    const [row] = await queryRows<{ active: number }>(
      manager,
      'SELECT count(*)::int AS active FROM api_keys WHERE account_id = $1 AND revoked_at IS NULL',
      [accountId],
    );
    return row?.active ?? 0;
  }
}

/** As the guard answers a key that is not (or no longer) active. */
function revokedCaller(): Unauthorized {
  return new Unauthorized(
    'The API key in the Authorization header is not valid.',
    'holds an unknown API key',
  );
}

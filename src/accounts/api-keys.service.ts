import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  KeyNotFound,
  LastKey,
  LimitReached,
  Unauthorized,
  ValidationFailed,
} from '../errors/domain-error';
import { AccountsRepository } from './accounts.repository';
import type { ApiKeyEntity } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key';
import { ApiKeysRepository, type OperatorKeyRow } from './api-keys.repository';
import { keyNameProblem } from './key-name';
import { KeyRevocations } from './key-revocations';

/** Active keys an account may hold at once: enough for every deploy and person, and a bounded table. */
export const MAX_ACTIVE_KEYS_PER_ACCOUNT = 100;

export interface CreatedKey {
  key: ApiKeyEntity;
  /** The key in clear: shown once to whoever created it, never stored. */
  apiKey: string;
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
    private readonly accounts: AccountsRepository,
    private readonly keys: ApiKeysRepository,
    private readonly revocations: KeyRevocations,
  ) {}

  /** The account's active keys, oldest first. */
  list(accountId: string): Promise<ApiKeyEntity[]> {
    return this.keys.listActive(accountId);
  }

  /** Active keys of one account or of all, with account names (the operator's CLI). */
  listForOperator(accountId?: string): Promise<OperatorKeyRow[]> {
    return this.keys.listActiveForOperator(accountId);
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
      await this.accounts.lockForKeyChanges(manager, accountId);
      if (callerKeyId && !(await this.keys.isActiveKeyOf(manager, accountId, callerKeyId))) {
        throw revokedCaller();
      }
      if ((await this.keys.activeCount(manager, accountId)) >= MAX_ACTIVE_KEYS_PER_ACCOUNT) {
        throw new LimitReached(
          `This account has ${MAX_ACTIVE_KEYS_PER_ACCOUNT} active API keys, the most it may; revoke one first.`,
        );
      }
      return this.keys.insert(manager, {
        accountId,
        name,
        keyHash: hashApiKey(apiKey),
        displayPrefix: displayPrefix(apiKey),
      });
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
      const owner = accountId ?? (await this.keys.ownerOf(manager, keyId));
      if (!owner || !(await this.accounts.lockForKeyChanges(manager, owner))) {
        throw new KeyNotFound(keyId);
      }
      // Read under the lock: a concurrent revocation of this account's keys waits for our commit.
      const state = await this.keys.revocationState(manager, owner, keyId, callerKeyId);
      if (callerKeyId && !state.caller) throw revokedCaller();
      if (!state.found) throw new KeyNotFound(keyId);
      if (state.active <= 1) throw new LastKey();
      await this.keys.revoke(manager, keyId);
    });
    this.revocations.revoked(keyId);
  }
}

/** As the guard answers a key that is not (or no longer) active. */
function revokedCaller(): Unauthorized {
  return new Unauthorized(
    'The API key in the Authorization header is not valid.',
    'holds an unknown API key',
  );
}

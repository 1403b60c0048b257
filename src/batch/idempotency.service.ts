import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { canonicalJson } from '../common/canonical-json';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { DomainError, ValidationFailed } from '../errors/domain-error';

/** A key whose first request never finished (its process died) is free again after this long. */
const ABANDONED_AFTER_MS = 10 * 60_000;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyClaim {
  accountId: string;
  key: string;
}

export type IdempotencyOutcome =
  { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; status: number; body: unknown };

/**
 * `Idempotency-Key` on POST /api/batch, per account, kept IDEMPOTENCY_TTL_HOURS: the same key with an
 * equal body replays the first 201, with another body is a 422, and while the first request is in
 * flight a 409. Only successes are kept: a request that failed leaves its key free.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
  ) {}

  async begin(accountId: string, key: string, body: unknown): Promise<IdempotencyOutcome> {
    if (!KEY_FORMAT.test(key)) {
      throw new ValidationFailed(
        'The Idempotency-Key header must be 1 to 255 visible ASCII characters.',
        [{ path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
      );
    }
    const requestHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    // Take the key when it is new, expired, or abandoned mid-flight; otherwise look at who holds it.
    const claimed = await this.dataSource.query<unknown[]>(
      `INSERT INTO idempotency_keys (account_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, created_at = now(), response_status = NULL, response_body = NULL
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
            OR (idempotency_keys.response_status IS NULL
                AND idempotency_keys.created_at < now() - make_interval(secs => $5))
       RETURNING key`,
      [accountId, key, requestHash, this.config.idempotencyTtlHours, ABANDONED_AFTER_MS / 1000],
    );
    if (claimed.length) return { kind: 'claimed', claim: { accountId, key } };

    const rows = await this.dataSource.query<
      { request_hash: string; response_status: number | null; response_body: unknown }[]
    >(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys
       WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    const existing = rows[0];
    if (existing && existing.request_hash !== requestHash) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body.',
        [{ path: 'Idempotency-Key', message: 'was used before with another body; use a new key' }],
      );
    }
    // No row: the request holding the key failed and freed it just now; a retry will take it.
    if (!existing || existing.response_status === null) {
      throw new DomainError(
        'IDEMPOTENCY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed; retry in a moment.',
      );
    }
    return { kind: 'replay', status: existing.response_status, body: existing.response_body };
  }

  /** Records the answer, in the transaction that stores what it describes. */
  async complete(
    manager: EntityManager,
    claim: IdempotencyClaim,
    status: number,
    body: unknown,
  ): Promise<void> {
    await manager.query(
      `UPDATE idempotency_keys SET response_status = $3, response_body = $4
       WHERE account_id = $1 AND key = $2`,
      [claim.accountId, claim.key, status, JSON.stringify(body)],
    );
  }

  /** Frees the key of a request that failed, so the client may use it again. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND response_status IS NULL`,
      [claim.accountId, claim.key],
    );
  }
}

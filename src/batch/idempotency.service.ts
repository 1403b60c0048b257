import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { canonicalJson } from '../common/canonical-json';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { IdempotencyRepository } from './idempotency.repository';

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
    private readonly keys: IdempotencyRepository,
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
    const taken = await this.keys.take(
      accountId,
      key,
      requestHash,
      this.config.idempotencyTtlHours,
      ABANDONED_AFTER_MS / 1000,
    );
    if (taken) return { kind: 'claimed', claim: { accountId, key } };

    const existing = await this.keys.find(accountId, key);
    if (existing && existing.requestHash !== requestHash) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body.',
        [{ path: 'Idempotency-Key', message: 'was used before with another body; use a new key' }],
      );
    }
    // No row: the request holding the key failed and freed it just now; a retry will take it.
    if (!existing || existing.responseStatus === null) {
      throw new DomainError(
        'IDEMPOTENCY_IN_PROGRESS',
        'A request with this Idempotency-Key is still being processed; retry in a moment.',
      );
    }
    return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
  }

  /** Records the answer, in the transaction that stores what it describes. */
  async complete(
    manager: EntityManager,
    claim: IdempotencyClaim,
    status: number,
    body: unknown,
  ): Promise<void> {
    await this.keys.complete(manager, claim.accountId, claim.key, status, body);
  }

  /** Frees the key of a request that failed, so the client may use it again. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.keys.release(claim.accountId, claim.key);
  }
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { canonicalJson } from '../common/canonical-json';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { IdempotencyRepository } from './idempotency.repository';

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyClaim {
  accountId: string;
  key: string;
  /** This request's fencing token on the key. */
  holder: string;
}

export type IdempotencyOutcome =
  { kind: 'claimed'; claim: IdempotencyClaim } | { kind: 'replay'; status: number; body: unknown };

/**
 * `Idempotency-Key` on POST /api/batch, per account, kept IDEMPOTENCY_TTL_HOURS: the same key with an
 * equal body replays the first 201, with another body is a 422, and while the first request is in
 * flight a 409. Only successes are kept: a request that failed leaves its key free. A request in
 * flight holds its key by a lease (IDEMPOTENCY_LEASE_MS) it renews while it runs: when its process
 * dies, a retry after the lease is processed afresh, and the dead request could never record an
 * answer (the holder fences it), so one key never stores two batches.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

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
    const holder = randomUUID();
    const taken = await this.keys.take(
      accountId,
      key,
      requestHash,
      holder,
      this.config.idempotencyTtlHours,
      this.config.idempotencyLeaseMs,
    );
    if (taken) return { kind: 'claimed', claim: { accountId, key, holder } };

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

  /**
   * Runs `work` (the request) holding the key: its lease is renewed every third of
   * IDEMPOTENCY_LEASE_MS until the work settles.
   */
  async hold<T>(claim: IdempotencyClaim, work: () => Promise<T>): Promise<T> {
    const { accountId, key, holder } = claim;
    const leaseMs = this.config.idempotencyLeaseMs;
    const renewing = setInterval(
      () => {
        this.keys.renew(accountId, key, holder, leaseMs).catch((error: Error) =>
          // The next renewal may get through; if none does, complete() refuses to record.
          this.logger.warn(`Could not renew an Idempotency-Key's lease: ${error.message}`),
        );
      },
      Math.ceil(leaseMs / 3),
    );
    try {
      return await work();
    } finally {
      clearInterval(renewing);
    }
  }

  /**
   * Records the answer, in the transaction that stores what it describes. A request whose lease
   * ran out and whose key another request took meanwhile records nothing: it throws, so that
   * transaction (its batch) rolls back and the other request's batch is the key's only one.
   */
  async complete(
    manager: EntityManager,
    claim: IdempotencyClaim,
    status: number,
    body: unknown,
  ): Promise<void> {
    const { accountId, key, holder } = claim;
    if (!(await this.keys.complete(manager, accountId, key, holder, status, body))) {
      throw new DomainError(
        'IDEMPOTENCY_IN_PROGRESS',
        'Another request with this Idempotency-Key took it over while this one ran; retry in a moment for its answer.',
      );
    }
  }

  /** Frees the key of a request that failed, so the client may use it again. */
  async release(claim: IdempotencyClaim): Promise<void> {
    await this.keys.release(claim.accountId, claim.key, claim.holder);
  }

  /** Deletes keys past IDEMPOTENCY_TTL_HOURS and abandoned ones, `limit` at most; answers how many. */
  sweep(limit: number): Promise<number> {
    return this.keys.sweep(this.config.idempotencyTtlHours, limit);
  }
}

// The idempotency_keys table: taking a key, holding it, reading who holds it, recording, freeing
// and sweeping.
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface HeldKey {
  requestHash: string;
  responseStatus: number | null;
  responseBody: unknown;
}

/** What TypeORM answers for an UPDATE or DELETE on PostgreSQL: its rows and how many it changed. */
type Changed = [unknown[], number];

/** A key's lease, as SQL: `$lease` milliseconds from now. */
const LEASE = (param: string) => `now() + make_interval(secs => ${param}::double precision / 1000)`;

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes the key for `holder` when it is new, older than `ttlHours`, or held by a request whose
   * lease ran out (its process died); answers whether it did.
   */
  async take(
    accountId: string,
    key: string,
    requestHash: string,
    holder: string,
    ttlHours: number,
    leaseMs: number,
  ): Promise<boolean> {
    const claimed = await this.dataSource.query<unknown[]>(
      `INSERT INTO idempotency_keys (account_id, key, request_hash, holder, lease_until)
       VALUES ($1, $2, $3, $4, ${LEASE('$6')})
       ON CONFLICT (account_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, created_at = now(), holder = EXCLUDED.holder,
             lease_until = EXCLUDED.lease_until, response_status = NULL, response_body = NULL
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $5)
            OR (idempotency_keys.response_status IS NULL AND idempotency_keys.lease_until < now())
       RETURNING key`,
      [accountId, key, requestHash, holder, ttlHours, leaseMs],
    );
    return claimed.length > 0;
  }

  /** Extends `holder`'s lease on the key; answers whether it still held it. */
  async renew(accountId: string, key: string, holder: string, leaseMs: number): Promise<boolean> {
    const [, renewed] = await this.dataSource.query<Changed>(
      `UPDATE idempotency_keys SET lease_until = ${LEASE('$4')}
       WHERE account_id = $1 AND key = $2 AND holder = $3 AND response_status IS NULL`,
      [accountId, key, holder, leaseMs],
    );
    return renewed > 0;
  }

  async find(accountId: string, key: string): Promise<HeldKey | undefined> {
    const [row] = await this.dataSource.query<
      { request_hash: string; response_status: number | null; response_body: unknown }[]
    >(
      `SELECT request_hash, response_status, response_body FROM idempotency_keys
       WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    return (
      row && {
        requestHash: row.request_hash,
        responseStatus: row.response_status,
        responseBody: row.response_body,
      }
    );
  }

  /**
   * Records the answer, in the caller's transaction, if `holder` still holds the key; answers
   * whether it did (a request whose lease ran out and was taken over records nothing).
   */
  async complete(
    manager: EntityManager,
    accountId: string,
    key: string,
    holder: string,
    status: number,
    body: unknown,
  ): Promise<boolean> {
    const [, recorded] = await manager.query<Changed>(
      `UPDATE idempotency_keys
       SET response_status = $4, response_body = $5, holder = NULL, lease_until = NULL
       WHERE account_id = $1 AND key = $2 AND holder = $3 AND response_status IS NULL`,
      [accountId, key, holder, status, JSON.stringify(body)],
    );
    return recorded > 0;
  }

  /** Frees a key `holder` holds without an answer. */
  async release(accountId: string, key: string, holder: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys
       WHERE account_id = $1 AND key = $2 AND holder = $3 AND response_status IS NULL`,
      [accountId, key, holder],
    );
  }

  /**
   * Deletes up to `limit` keys past `ttlHours` (answered or not) or abandoned by a request whose
   * lease ran out; answers how many.
   */
  async sweep(ttlHours: number, limit: number): Promise<number> {
    const [, deleted] = await this.dataSource.query<Changed>(
      `WITH expired AS MATERIALIZED (
         SELECT account_id, key FROM idempotency_keys
         WHERE created_at < now() - make_interval(hours => $1)
            OR (response_status IS NULL AND lease_until < now())
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
       DELETE FROM idempotency_keys k USING expired
       WHERE k.account_id = expired.account_id AND k.key = expired.key`,
      [ttlHours, limit],
    );
    return deleted;
  }
}

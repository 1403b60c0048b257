// The idempotency_keys table: taking a key, reading who holds it, recording and freeing it.
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface HeldKey {
  requestHash: string;
  responseStatus: number | null;
  responseBody: unknown;
}

@Injectable()
export class IdempotencyRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes the key when it is new, older than `ttlHours`, or abandoned mid-flight (no answer after
   * `abandonedAfterSeconds`); answers whether it did.
   */
  async take(
    accountId: string,
    key: string,
    requestHash: string,
    ttlHours: number,
    abandonedAfterSeconds: number,
  ): Promise<boolean> {
    const claimed = await this.dataSource.query<unknown[]>(
      `INSERT INTO idempotency_keys (account_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, created_at = now(), response_status = NULL, response_body = NULL
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
            OR (idempotency_keys.response_status IS NULL
                AND idempotency_keys.created_at < now() - make_interval(secs => $5))
       RETURNING key`,
      [accountId, key, requestHash, ttlHours, abandonedAfterSeconds],
    );
    return claimed.length > 0;
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

  /** Records the answer, in the caller's transaction. */
  async complete(
    manager: EntityManager,
    accountId: string,
    key: string,
    status: number,
    body: unknown,
  ): Promise<void> {
    await manager.query(
      `UPDATE idempotency_keys SET response_status = $3, response_body = $4
       WHERE account_id = $1 AND key = $2`,
      [accountId, key, status, JSON.stringify(body)],
    );
  }

  /** Frees a key that has no answer yet. */
  async release(accountId: string, key: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM idempotency_keys WHERE account_id = $1 AND key = $2 AND response_status IS NULL`,
      [accountId, key],
    );
  }
}

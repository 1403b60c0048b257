import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency keys held by leases (issue 18):
 * - idempotency_keys.holder: the request holding a key in flight (its fencing token): only it may
 *   record the answer, so a request that outlived its lease can never store a second batch.
 * - idempotency_keys.lease_until: until when that request holds the key; it renews it while it
 *   runs, and a retry after it ran out is processed afresh. Null once answered.
 * - Indexes for the sweep: created_at (expired keys), lease_until of keys in flight (abandoned).
 *   Keys in flight when this runs keep the ten minutes they had.
 */
export class IdempotencyLeases1764392400000 implements MigrationInterface {
  name = 'IdempotencyLeases1764392400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE idempotency_keys ADD COLUMN holder uuid, ADD COLUMN lease_until timestamptz`,
    );
    await queryRunner.query(
      `UPDATE idempotency_keys SET lease_until = created_at + interval '10 minutes'
       WHERE response_status IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX idempotency_keys_in_flight_idx ON idempotency_keys (lease_until)
       WHERE response_status IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX idempotency_keys_in_flight_idx`);
    await queryRunner.query(`DROP INDEX idempotency_keys_created_at_idx`);
    await queryRunner.query(
      `ALTER TABLE idempotency_keys DROP COLUMN holder, DROP COLUMN lease_until`,
    );
  }
}

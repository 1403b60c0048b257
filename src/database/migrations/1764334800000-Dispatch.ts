import { MigrationInterface, QueryRunner } from 'typeorm';

export class Dispatch1764334800000 implements MigrationInterface {
  name = 'Dispatch1764334800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // claim_token fences result writes: it grows with every claim of the message, so a stalled or
    // killed worker's late write (holding an older token) changes nothing.
    await queryRunner.query(`
      ALTER TABLE messages
        ADD COLUMN claim_token integer NOT NULL DEFAULT 0,
        ADD COLUMN claimed_until timestamptz`);
    // generation is part of every chunk job id: a restart of dispatch (resume, reconcile) queues
    // jobs Bull has not seen, since Bull ignores an add whose id it already holds.
    await queryRunner.query(`
      ALTER TABLE batches
        ADD COLUMN generation integer NOT NULL DEFAULT 0,
        ADD COLUMN processing_ms bigint NOT NULL DEFAULT 0,
        ADD COLUMN resumed_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX batches_status_idx ON batches (status) WHERE status IN ('pending', 'processing')`,
    );
    // The simulated provider's memory, shared by every process: how often it saw each message
    // (its scripted outcomes depend on it) and what it accepted, once per idempotency key.
    await queryRunner.query(`
      CREATE TABLE simulator_calls (
        idempotency_key uuid PRIMARY KEY,
        calls integer NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE simulator_ledger (
        idempotency_key uuid PRIMARY KEY,
        provider_message_id text NOT NULL,
        phone_number text NOT NULL,
        body text NOT NULL,
        accepted_at timestamptz NOT NULL DEFAULT now(),
        replays integer NOT NULL DEFAULT 0
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE simulator_ledger`);
    await queryRunner.query(`DROP TABLE simulator_calls`);
    await queryRunner.query(`DROP INDEX batches_status_idx`);
    await queryRunner.query(`
      ALTER TABLE batches DROP COLUMN generation, DROP COLUMN processing_ms, DROP COLUMN resumed_at`);
    await queryRunner.query(
      `ALTER TABLE messages DROP COLUMN claim_token, DROP COLUMN claimed_until`,
    );
  }
}

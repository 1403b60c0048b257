import { MigrationInterface, QueryRunner } from 'typeorm';

export class ErrorLog1764342000000 implements MigrationInterface {
  name = 'ErrorLog1764342000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Every failed attempt, newest last. `id` orders the log (newest first on reads); the primary
    // key and the two indexes below serve the errors endpoint's three queries (all, by category,
    // by code) as index range scans, however large the batch. No foreign keys: like messages, the
    // rows are written in bulk and go with their batch.
    await queryRunner.query(`
      CREATE TABLE message_errors (
        batch_id uuid NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        seq integer NOT NULL,
        attempt integer NOT NULL,
        category text NOT NULL,
        code text NOT NULL,
        message text NOT NULL,
        retried boolean NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (batch_id, id)
      )`);
    await queryRunner.query(
      `CREATE INDEX message_errors_category_idx ON message_errors (batch_id, category, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX message_errors_code_idx ON message_errors (batch_id, code, id)`,
    );
    // The summaries, kept up to date in the transaction that logs the errors: a read never
    // aggregates the log.
    await queryRunner.query(`
      CREATE TABLE batch_error_categories (
        batch_id uuid NOT NULL,
        category text NOT NULL,
        count bigint NOT NULL,
        messages bigint NOT NULL,
        example text NOT NULL,
        first_at timestamptz NOT NULL,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (batch_id, category)
      )`);
    await queryRunner.query(`
      CREATE TABLE batch_error_codes (
        batch_id uuid NOT NULL,
        category text NOT NULL,
        code text NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (batch_id, category, code)
      )`);
    // The categories a message has failed in, so the summary counts distinct messages as it goes.
    // Null for the messages that never failed: most of them, at no cost.
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN failed_categories text[]`);
    // The error-rate guard's window: the outcomes of the batch's last attempts, '1' failed and
    // '0' accepted, oldest first. valid_from restarts the clock of MESSAGE_VALIDITY_SECONDS when
    // retry-failed reopens a batch; null: the clock runs from started_at.
    await queryRunner.query(`
      ALTER TABLE batches
        ADD COLUMN error_window text NOT NULL DEFAULT '',
        ADD COLUMN valid_from timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE batches DROP COLUMN error_window, DROP COLUMN valid_from`);
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN failed_categories`);
    await queryRunner.query(`DROP TABLE batch_error_codes`);
    await queryRunner.query(`DROP TABLE batch_error_categories`);
    await queryRunner.query(`DROP TABLE message_errors`);
  }
}

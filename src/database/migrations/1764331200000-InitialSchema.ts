import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764331200000 implements MigrationInterface {
  name = 'InitialSchema1764331200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        key_hash text NOT NULL UNIQUE,
        display_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX api_keys_account_id_idx ON api_keys (account_id)`);

    await queryRunner.query(`
      CREATE TABLE batches (
        id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        text text NOT NULL,
        variables text[] NOT NULL,
        priority text NOT NULL CHECK (priority IN ('high', 'normal', 'low')),
        status text NOT NULL
          CHECK (status IN ('pending', 'processing', 'paused', 'completed', 'failed', 'cancelled')),
        auto_start boolean NOT NULL,
        schedule_time timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        pause_reason text,
        failure_reason text,
        total integer NOT NULL,
        pending_count integer NOT NULL,
        completed_count integer NOT NULL DEFAULT 0,
        failed_count integer NOT NULL DEFAULT 0,
        cancelled_count integer NOT NULL DEFAULT 0,
        segments bigint NOT NULL,
        encodings text[] NOT NULL,
        CONSTRAINT batches_counters_add_up
          CHECK (total = pending_count + completed_count + failed_count + cancelled_count)
      )`);
    // Newest first per account, with id as the tie-breaker of the list's keyset cursor.
    await queryRunner.query(
      `CREATE INDEX batches_account_created_idx ON batches (account_id, created_at DESC, id DESC)`,
    );

    // The primary key (batch_id, seq) is the message log's order and the dispatcher's keyset; it is
    // the table's only index. status stays out of it so that state changes are HOT updates
    // (fillfactor leaves them room). Two indexes a 100k-row COPY would pay for are left out on
    // purpose: batch_id has no foreign key (messages are only ever written by the ingest, in the
    // transaction that inserts their batch; the per-row check doubled the COPY's time) and id, the
    // public id and provider idempotency key, is a time-ordered random UUID nothing looks up yet.
    await queryRunner.query(`
      CREATE TABLE messages (
        batch_id uuid NOT NULL,
        seq integer NOT NULL,
        id uuid NOT NULL,
        phone_number text NOT NULL,
        variables json NOT NULL,
        status text NOT NULL
          CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
        attempts integer NOT NULL DEFAULT 0,
        segments smallint NOT NULL,
        sent_at timestamptz,
        provider_message_id text,
        last_error jsonb,
        PRIMARY KEY (batch_id, seq)
      ) WITH (fillfactor = 80)`);

    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        response_status integer,
        response_body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_id, key)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE batches`);
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE accounts`);
  }
}

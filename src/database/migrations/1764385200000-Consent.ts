import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent (issue 17): suppressions (opt-outs) checked at ingest and at claim, contacts (who sent
 * to which number last, for attributing inbound messages), and what Salvo did with each inbound
 * message (opt-out, opt-in, help) and for which account.
 */
export class Consent1764385200000 implements MigrationInterface {
  name = 'Consent1764385200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE suppressions (
        id uuid PRIMARY KEY,
        phone_number text NOT NULL,
        account_id uuid,
        scope text NOT NULL,
        reason text NOT NULL,
        source text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT suppressions_scope_check CHECK (scope IN ('account', 'deployment')),
        CONSTRAINT suppressions_reason_check
          CHECK (reason IN ('stop_reply', 'provider_opt_out', 'manual', 'import')),
        CONSTRAINT suppressions_account_check CHECK ((scope = 'deployment') = (account_id IS NULL))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX suppressions_deployment_key ON suppressions (phone_number) WHERE account_id IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX suppressions_account_key ON suppressions (account_id, phone_number) WHERE account_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE contacts (
        account_id uuid NOT NULL,
        phone_number text NOT NULL,
        provider text NOT NULL,
        sender text NOT NULL,
        last_sent_at timestamptz NOT NULL,
        PRIMARY KEY (account_id, phone_number)
      )`);
    await queryRunner.query(
      `CREATE INDEX contacts_phone_number_idx ON contacts (phone_number, last_sent_at)`,
    );
    await queryRunner.query(`
      ALTER TABLE inbound_messages
        ADD COLUMN account_id uuid,
        ADD COLUMN action text NOT NULL DEFAULT 'none',
        ADD COLUMN reply_status text,
        ADD COLUMN reply_provider_message_id text,
        ADD COLUMN reply_error text,
        ADD CONSTRAINT inbound_messages_action_check CHECK (action IN ('opt_out', 'opt_in', 'help', 'none')),
        ADD CONSTRAINT inbound_messages_reply_status_check CHECK (reply_status IN ('queued', 'sent', 'failed'))`);
    await queryRunner.query(
      `CREATE INDEX inbound_messages_account_idx ON inbound_messages (account_id, received_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_messages_sender_idx ON inbound_messages (from_number, to_number, received_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX inbound_messages_reply_queued_idx ON inbound_messages (received_at) WHERE reply_status = 'queued'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX inbound_messages_reply_queued_idx`);
    await queryRunner.query(`DROP INDEX inbound_messages_sender_idx`);
    await queryRunner.query(`DROP INDEX inbound_messages_account_idx`);
    await queryRunner.query(`
      ALTER TABLE inbound_messages
        DROP CONSTRAINT inbound_messages_reply_status_check,
        DROP CONSTRAINT inbound_messages_action_check,
        DROP COLUMN reply_error,
        DROP COLUMN reply_provider_message_id,
        DROP COLUMN reply_status,
        DROP COLUMN action,
        DROP COLUMN account_id`);
    await queryRunner.query(`DROP TABLE contacts`);
    await queryRunner.query(`DROP TABLE suppressions`);
  }
}

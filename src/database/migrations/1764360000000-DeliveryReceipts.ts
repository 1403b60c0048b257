import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Real providers: delivery receipts, the resolution of unknown outcomes, and inbound messages.
 *
 * - messages: `delivery_status` (null until accepted, then awaiting, delivered, undelivered, or
 *   unknown when no final receipt came in time), the provider's latest ranked status, when the
 *   final receipt came, why it was undelivered, and how an unknown outcome was resolved. Receipts
 *   find their message by the provider's id, hence the partial index (rows not yet accepted have
 *   none and stay out of it, so claims remain HOT updates).
 * - batches: the delivery counters, moved in the statements that move the messages they count;
 *   awaiting is `completed_count` minus the three. Messages sent before this migration become
 *   `unknown` (no receipt will be matched for them), and their batches count them so.
 * - pending_receipts: receipts that arrived before the send result holding their id was written,
 *   kept until `expires_at` and applied when it is. They are looked up by provider message id
 *   alone (messages do not record their provider), hence the key's first column. The sweep
 *   leaves the ones kept moments ago (`kept_at`) to the process that is applying them.
 * - batch_timeline and batch_rate_stats: what the analytics read of delivery, aggregated as
 *   receipts are applied; batch_receipt_counts: receipts per status and category.
 * - message_errors.stage: `send` (the provider refused the call) or `delivery` (a receipt said
 *   undelivered); batch_error_categories.delivery_count: the entries of a category that came
 *   from receipts (a category seen only there is not retryable: those messages were sent).
 * - inbound_messages: every SMS received, once per provider message id.
 */
export class DeliveryReceipts1764360000000 implements MigrationInterface {
  name = 'DeliveryReceipts1764360000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE messages
        ADD COLUMN delivery_status text,
        ADD COLUMN provider_status text,
        ADD COLUMN receipt_at timestamptz,
        ADD COLUMN delivery_error jsonb,
        ADD COLUMN resolution jsonb,
        ADD CONSTRAINT messages_delivery_status_check
          CHECK (delivery_status IN ('awaiting', 'delivered', 'undelivered', 'unknown'))`);
    await queryRunner.query(
      `CREATE INDEX messages_provider_message_id_idx ON messages (provider_message_id)
       WHERE provider_message_id IS NOT NULL`,
    );
    await queryRunner.query(`
      ALTER TABLE batches
        ADD COLUMN delivered_count integer NOT NULL DEFAULT 0,
        ADD COLUMN undelivered_count integer NOT NULL DEFAULT 0,
        ADD COLUMN delivery_unknown_count integer NOT NULL DEFAULT 0,
        ADD CONSTRAINT batches_delivery_within_completed
          CHECK (delivered_count + undelivered_count + delivery_unknown_count <= completed_count)`);
    // Messages accepted before receipts existed: no receipt will ever be matched to them (their
    // provider's ids were never looked for), so their outcome is unknown, with the counters.
    // Left awaiting, old batches would show everything awaiting and be swept forever.
    await queryRunner.query(
      `UPDATE messages SET delivery_status = 'unknown' WHERE status = 'sent' AND delivery_status IS NULL`,
    );
    await queryRunner.query(
      `UPDATE batches SET delivery_unknown_count = completed_count WHERE completed_count > 0`,
    );
    await queryRunner.query(`
      CREATE TABLE pending_receipts (
        provider text NOT NULL,
        provider_message_id text NOT NULL,
        status text NOT NULL,
        error_code text,
        error_message text,
        category text,
        received_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        kept_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider_message_id, provider, status)
      )`);
    await queryRunner.query(
      `CREATE INDEX pending_receipts_expires_at_idx ON pending_receipts (expires_at)`,
    );
    await queryRunner.query(`
      ALTER TABLE batch_timeline
        ADD COLUMN delivered integer NOT NULL DEFAULT 0,
        ADD COLUMN undelivered integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      ALTER TABLE batch_rate_stats
        ADD COLUMN delivery_latency_histogram bigint[] NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`
      CREATE TABLE batch_receipt_counts (
        batch_id uuid NOT NULL,
        status text NOT NULL,
        category text NOT NULL DEFAULT '',
        count bigint NOT NULL,
        PRIMARY KEY (batch_id, status, category)
      )`);
    await queryRunner.query(`
      ALTER TABLE message_errors
        ADD COLUMN stage text NOT NULL DEFAULT 'send',
        ADD CONSTRAINT message_errors_stage_check CHECK (stage IN ('send', 'delivery'))`);
    await queryRunner.query(`
      ALTER TABLE batch_error_categories ADD COLUMN delivery_count bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      CREATE TABLE inbound_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        provider text NOT NULL,
        provider_message_id text NOT NULL,
        from_number text NOT NULL,
        to_number text NOT NULL,
        body text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT inbound_messages_provider_message_key UNIQUE (provider, provider_message_id)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE inbound_messages`);
    await queryRunner.query(`ALTER TABLE batch_error_categories DROP COLUMN delivery_count`);
    await queryRunner.query(`ALTER TABLE message_errors DROP COLUMN stage`);
    await queryRunner.query(`DROP TABLE batch_receipt_counts`);
    await queryRunner.query(`ALTER TABLE batch_rate_stats DROP COLUMN delivery_latency_histogram`);
    await queryRunner.query(
      `ALTER TABLE batch_timeline DROP COLUMN delivered, DROP COLUMN undelivered`,
    );
    await queryRunner.query(`DROP TABLE pending_receipts`);
    await queryRunner.query(`
      ALTER TABLE batches DROP COLUMN delivered_count, DROP COLUMN undelivered_count,
        DROP COLUMN delivery_unknown_count`);
    await queryRunner.query(`DROP INDEX messages_provider_message_id_idx`);
    await queryRunner.query(`
      ALTER TABLE messages DROP COLUMN delivery_status, DROP COLUMN provider_status,
        DROP COLUMN receipt_at, DROP COLUMN delivery_error, DROP COLUMN resolution`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rank of a message's latest receipt, and what a kept (orphan) receipt needs to be applied.
 * A provider's status words are its own (Twilio's `sent`, SMPP's `ENROUTE`), so the rank the
 * adapter gave a receipt is stored beside the word: a later receipt is compared with it, never
 * with the word. Pending receipts keep the rank and outcome for the same reason.
 */
export class ReceiptRanks1764363647000 implements MigrationInterface {
  name = 'ReceiptRanks1764363647000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN receipt_rank smallint`);
    await queryRunner.query(`
      ALTER TABLE pending_receipts
        ADD COLUMN rank smallint NOT NULL DEFAULT 1,
        ADD COLUMN outcome text,
        ADD CONSTRAINT pending_receipts_outcome_check
          CHECK (outcome IN ('delivered', 'undelivered'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE pending_receipts DROP COLUMN rank, DROP COLUMN outcome`);
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN receipt_rank`);
  }
}

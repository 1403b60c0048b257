import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Long messages sent part by part (SMPP with a concatenation header): one row per part the
 * provider accepted, with that part's own provider message id and the latest receipt it took.
 * A part's receipt moves its part row; the message's own receipt is derived from all its parts
 * (delivery/receipts.repository.ts). The primary key (batch_id, seq, provider, part) is how a
 * claim reads a message's parts for its provider (a message that moved to another provider keeps
 * the parts the first one took, and the second's must be stored too); receipts find a part by
 * the (provider_message_id, provider) index, which is not unique: SMSCs reuse ids (counters wrap
 * or restart), and a part whose id an older part already had must still be stored, or a retry
 * would send it again. The foreign key keeps parts
 * from outliving their message (messages has no foreign key of its own for the ingest's sake,
 * but rows here are written one result at a time, where the check costs nothing noticeable).
 *
 * pending_receipts may now keep a final receipt whose outcome is `unknown` (SMPP's UNKNOWN).
 */
export class MessageParts1764370800000 implements MigrationInterface {
  name = 'MessageParts1764370800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE message_parts (
        provider text NOT NULL,
        provider_message_id text NOT NULL,
        batch_id uuid NOT NULL,
        seq integer NOT NULL,
        part smallint NOT NULL,
        total smallint NOT NULL,
        reference smallint NOT NULL,
        status text,
        rank smallint,
        outcome text,
        error jsonb,
        received_at timestamptz,
        PRIMARY KEY (batch_id, seq, provider, part),
        CONSTRAINT message_parts_outcome_check
          CHECK (outcome IN ('delivered', 'undelivered', 'unknown')),
        CONSTRAINT message_parts_message_fkey FOREIGN KEY (batch_id, seq)
          REFERENCES messages (batch_id, seq) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX message_parts_provider_message_id_idx
         ON message_parts (provider_message_id, provider)`,
    );
    await queryRunner.query(`
      ALTER TABLE pending_receipts
        DROP CONSTRAINT pending_receipts_outcome_check,
        ADD CONSTRAINT pending_receipts_outcome_check
          CHECK (outcome IN ('delivered', 'undelivered', 'unknown'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // A kept UNKNOWN receipt has no place in the older schema; dropping it loses nothing the
    // receipt timeout would not say too (the message ends unknown).
    await queryRunner.query(`DELETE FROM pending_receipts WHERE outcome = 'unknown'`);
    await queryRunner.query(`
      ALTER TABLE pending_receipts
        DROP CONSTRAINT pending_receipts_outcome_check,
        ADD CONSTRAINT pending_receipts_outcome_check
          CHECK (outcome IN ('delivered', 'undelivered'))`);
    await queryRunner.query(`DROP TABLE message_parts`);
  }
}

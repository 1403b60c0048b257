import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider message ids adopted by a lookup (a Twilio message whose create call got no answer),
 * one row per id: the primary key makes an adoption atomic, so two messages resolving at once can
 * never both adopt the same SMS (dispatch.repository.ts, `adopt`).
 */
export class AdoptedProviderMessages1764367200000 implements MigrationInterface {
  name = 'AdoptedProviderMessages1764367200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE adopted_provider_messages (
        provider_message_id text PRIMARY KEY,
        batch_id uuid NOT NULL,
        seq integer NOT NULL,
        adopted_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE adopted_provider_messages`);
  }
}

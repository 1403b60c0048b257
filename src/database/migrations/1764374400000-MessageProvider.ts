import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which provider (SMS_PROVIDER's name: simulated, twilio, smpp) made a message's last call, for the
 * message log: a deployment that switches providers, and later routes by destination (issue 16),
 * can tell which one sent each message. Null before any call, and for messages written before this
 * migration: nobody recorded which provider those went to, and guessing today's would mislead.
 * Adding a nullable column without a default changes only the catalog, so the ALTER is instant
 * however many messages the table holds (no rewrite).
 */
export class MessageProvider1764374400000 implements MigrationInterface {
  name = 'MessageProvider1764374400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN provider text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN provider`);
  }
}

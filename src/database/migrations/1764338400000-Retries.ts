import { MigrationInterface, QueryRunner } from 'typeorm';

export class Retries1764338400000 implements MigrationInterface {
  name = 'Retries1764338400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // When a pending message that failed may be tried again; null: now. Not indexed, so that it
    // and status stay HOT-updatable; chunk jobs read it within their own range.
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN next_attempt_at timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN next_attempt_at`);
  }
}

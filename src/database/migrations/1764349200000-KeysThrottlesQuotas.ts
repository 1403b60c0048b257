import { MigrationInterface, QueryRunner } from 'typeorm';

/** Issue 12: named, revocable API keys; per-account destination and quota overrides; daily usage. */
export class KeysThrottlesQuotas1764349200000 implements MigrationInterface {
  name = 'KeysThrottlesQuotas1764349200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // A revoked key keeps its row (revoked_at), so its name and dates stay for whoever asks later.
    await queryRunner.query(`
      ALTER TABLE api_keys
        ADD COLUMN name text NOT NULL DEFAULT 'default',
        ADD COLUMN last_used_at timestamptz,
        ADD COLUMN revoked_at timestamptz`);
    await queryRunner.query(`ALTER TABLE api_keys ALTER COLUMN name DROP DEFAULT`);
    // What the operator narrowed for one account (CLI); NULL: the deployment's setting.
    await queryRunner.query(`
      ALTER TABLE accounts
        ADD COLUMN allowed_countries text[],
        ADD COLUMN daily_message_quota bigint CHECK (daily_message_quota >= 0),
        ADD COLUMN daily_segment_quota bigint CHECK (daily_segment_quota >= 0)`);
    // Messages and segments made sendable per account and UTC day, taken whole by a batch when it
    // becomes sendable (the row lock of the upsert serialises concurrent starts).
    await queryRunner.query(`
      CREATE TABLE daily_usage (
        account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        day date NOT NULL,
        messages bigint NOT NULL DEFAULT 0 CHECK (messages >= 0),
        segments bigint NOT NULL DEFAULT 0 CHECK (segments >= 0),
        PRIMARY KEY (account_id, day)
      )`);
    // Whether the batch's messages were counted against the quota: ingest writes it (false for a
    // batch not started at creation), every start sets it, and a pause by the quota clears it.
    // The default is true so a row written without it (an older process during a rolling deploy)
    // is never counted twice on a resume; a pending batch takes its quota at its start whatever
    // the flag says.
    await queryRunner.query(
      `ALTER TABLE batches ADD COLUMN quota_taken boolean NOT NULL DEFAULT true`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE batches DROP COLUMN quota_taken`);
    await queryRunner.query(`DROP TABLE daily_usage`);
    await queryRunner.query(`
      ALTER TABLE accounts
        DROP COLUMN allowed_countries,
        DROP COLUMN daily_message_quota,
        DROP COLUMN daily_segment_quota`);
    await queryRunner.query(`
      ALTER TABLE api_keys DROP COLUMN name, DROP COLUMN last_used_at, DROP COLUMN revoked_at`);
  }
}

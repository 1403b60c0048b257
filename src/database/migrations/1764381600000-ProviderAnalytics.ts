import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What GET /api/batch/:id/analytics shows per provider (issue 16), kept as results and receipts
 * are written so a read never scans messages: per (batch, provider), the messages its answers
 * accepted and failed for good, the final receipts delivered and undelivered, and a histogram of
 * its latency (buckets of batch/analytics/histogram.ts; empty until its first call, as when a
 * receipt creates the row).
 */
export class ProviderAnalytics1764381600000 implements MigrationInterface {
  name = 'ProviderAnalytics1764381600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE batch_provider_stats (
        batch_id uuid NOT NULL,
        provider text NOT NULL,
        sent bigint NOT NULL DEFAULT 0,
        failed bigint NOT NULL DEFAULT 0,
        delivered bigint NOT NULL DEFAULT 0,
        undelivered bigint NOT NULL DEFAULT 0,
        latency_histogram bigint[] NOT NULL DEFAULT '{}',
        PRIMARY KEY (batch_id, provider)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE batch_provider_stats`);
  }
}

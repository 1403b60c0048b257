import { MigrationInterface, QueryRunner } from 'typeorm';

export class RateAnalytics1764345600000 implements MigrationInterface {
  name = 'RateAnalytics1764345600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // What GET /api/batch/:id/analytics reads, aggregated as results are written: a read never
    // touches messages. Timeline buckets per second and per 10 seconds (`resolution`); `sent` and
    // `failed` move with the batch counters, so their sums equal them.
    await queryRunner.query(`
      CREATE TABLE batch_timeline (
        batch_id uuid NOT NULL,
        resolution smallint NOT NULL,
        t timestamptz NOT NULL,
        sent integer NOT NULL,
        failed integer NOT NULL,
        throttled integer NOT NULL,
        PRIMARY KEY (batch_id, resolution, t)
      )`);
    // Provider calls and the limiter: counts, the last signals, and histograms (buckets of
    // batch/analytics/histogram.ts) of the limiter's wait and the provider's latency.
    await queryRunner.query(`
      CREATE TABLE batch_rate_stats (
        batch_id uuid PRIMARY KEY,
        throttle_events bigint NOT NULL DEFAULT 0,
        paused_ms bigint NOT NULL DEFAULT 0,
        last_retry_after_ms integer,
        last_rate_limit jsonb,
        wait_max_ms integer NOT NULL DEFAULT 0,
        wait_histogram bigint[] NOT NULL,
        latency_histogram bigint[] NOT NULL
      )`);
    await queryRunner.query(
      `ALTER TABLE batches ADD COLUMN segments_sent bigint NOT NULL DEFAULT 0`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE batches DROP COLUMN segments_sent`);
    await queryRunner.query(`DROP TABLE batch_rate_stats`);
    await queryRunner.query(`DROP TABLE batch_timeline`);
  }
}

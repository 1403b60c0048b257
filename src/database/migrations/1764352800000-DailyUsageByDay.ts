import { MigrationInterface, QueryRunner } from 'typeorm';

/** The metrics read today's and yesterday's daily_usage of every account on each scrape. */
export class DailyUsageByDay1764352800000 implements MigrationInterface {
  name = 'DailyUsageByDay1764352800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX daily_usage_day ON daily_usage (day)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX daily_usage_day`);
  }
}

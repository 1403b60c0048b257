import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Send windows (options.sendWindow, issue 17):
 * - messages.send_zone: the message's zone key (batch/windows/send-window.ts, ZoneKey), decided
 *   from its number at ingest; null when its batch has no window (or for messages written before).
 * - batches.send_window: the batch's window as checked (config/send-window.ts); null for none.
 * - batches.send_zones: the distinct zone keys of its messages, so dispatch can say which are open
 *   without reading its messages.
 * - batches.outside_window, batches.next_window_at: what the reconciler last counted of its unsent
 *   messages whose window is closed, and when the first of those opens, for its status.
 * Nullable columns and constant defaults change only the catalog: no table rewrite.
 */
export class SendWindows1764388800000 implements MigrationInterface {
  name = 'SendWindows1764388800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE messages ADD COLUMN send_zone text`);
    await queryRunner.query(
      `ALTER TABLE batches ADD COLUMN send_window jsonb,
                           ADD COLUMN send_zones text[] NOT NULL DEFAULT '{}',
                           ADD COLUMN outside_window integer NOT NULL DEFAULT 0,
                           ADD COLUMN next_window_at timestamptz`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE batches DROP COLUMN send_window, DROP COLUMN send_zones,
                           DROP COLUMN outside_window, DROP COLUMN next_window_at`,
    );
    await queryRunner.query(`ALTER TABLE messages DROP COLUMN send_zone`);
  }
}

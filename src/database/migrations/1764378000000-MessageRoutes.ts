import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routes by destination (SMS_ROUTES, issue 16):
 * - messages.route: the providers of the message's route, in order, as routes.ts's routeKey writes
 *   them (`smpp,twilio`), decided from its number at ingest. Null for messages written before:
 *   dispatch routes those by their number with the table it has.
 * - messages.pinned_provider: set while the message's next call must go to that provider, because
 *   an earlier call there may have been accepted (a timeout, parts of it accepted): moving it could
 *   send it twice. Null when any provider of its route may take it.
 * - messages.claim_provider: the provider its current claim calls; a claim whose worker died is
 *   resolved there.
 * - batches.routes: the distinct routes of its messages, so its status can say which providers
 *   it waits for without reading its messages. Empty for batches written before.
 * Nullable columns and a constant default change only the catalog: no table rewrite.
 */
export class MessageRoutes1764378000000 implements MigrationInterface {
  name = 'MessageRoutes1764378000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE messages ADD COLUMN route text, ADD COLUMN pinned_provider text,
                            ADD COLUMN claim_provider text`,
    );
    await queryRunner.query(`ALTER TABLE batches ADD COLUMN routes text[] NOT NULL DEFAULT '{}'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE batches DROP COLUMN routes`);
    await queryRunner.query(
      `ALTER TABLE messages DROP COLUMN route, DROP COLUMN pinned_provider, DROP COLUMN claim_provider`,
    );
  }
}

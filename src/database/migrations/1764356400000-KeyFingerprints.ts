import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys not of Salvo's own form (`salvo_` + 43 base64url characters: a BOOTSTRAP_API_KEY, which may
 * be 16 characters) showed their first 12 characters, most of a short key. Their rows now show a
 * fingerprint of the hash instead, as api-key.ts's displayPrefix makes for new ones. From the row
 * alone a key's form is known only when its prefix is not `salvo_` + 6 such characters; a key that
 * BOOTSTRAP_API_KEY set begins with anything it likes, `salvo_` too, so the bootstrap account's
 * first key gets the fingerprint as well (and AccountsBootstrap corrects the key of the current
 * BOOTSTRAP_API_KEY at every start, whichever account holds it).
 *
 * Also: an index of the active keys per account, for the counts under the account lock and the
 * lists, which would otherwise read the revoked rows that accumulate.
 */
export class KeyFingerprints1764356400000 implements MigrationInterface {
  name = 'KeyFingerprints1764356400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE api_keys k SET display_prefix = 'sha256:' || left(k.key_hash, 8)
       WHERE k.display_prefix !~ '^salvo_[A-Za-z0-9_-]{6}$'
          OR (k.name = 'default'
              AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = k.account_id AND a.name = 'bootstrap'))`);
    await queryRunner.query(
      `CREATE INDEX api_keys_active_account_id_idx ON api_keys (account_id) WHERE revoked_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The fingerprints stay: the keys' first characters are not known to put back.
    await queryRunner.query(`DROP INDEX api_keys_active_account_id_idx`);
  }
}

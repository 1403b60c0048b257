// The committed migrations: they build the schema on an empty database and every `down` undoes its
// `up`, so `npm run migration:revert` is a real way back.
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

describe('migrations', () => {
  let db: MigratedDatabase;

  beforeAll(async () => {
    db = await createMigratedDatabase();
  });
  afterAll(() => db.drop());

  it('create the tables the service uses', async () => {
    const rows: { table_name: string }[] = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['accounts', 'api_keys', 'batches', 'messages', 'idempotency_keys']),
    );
  });

  it('revert one by one to an empty schema', async () => {
    while ((await db.dataSource.query(`SELECT 1 FROM migrations LIMIT 1`)).length) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    const rows: unknown[] = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(rows).toEqual([]);
    await db.dataSource.runMigrations({ transaction: 'each' }); // leave it as other tests expect
  });
});

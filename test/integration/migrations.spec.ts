// The committed migrations: they build the schema on an empty database and every `down` undoes its
// `up`, so `npm run migration:revert` is a real way back.
import { insertAccount, insertBatch } from '../factories/batch-rows';
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

  it('count messages sent before delivery receipts as unknown, so nothing waits for them', async () => {
    const applied = async () =>
      (await db.dataSource.query<{ name: string }[]>(`SELECT name FROM migrations`)).map(
        (m) => m.name,
      );
    while ((await applied()).includes('DeliveryReceipts1764360000000')) {
      await db.dataSource.undoLastMigration({ transaction: 'each' });
    }
    const accountId = await insertAccount(db.dataSource);
    const id = await insertBatch(db.dataSource, {
      accountId,
      status: 'completed',
      messages: [{ status: 'sent' }, { status: 'sent' }, { status: 'failed' }],
    });
    await db.dataSource.runMigrations({ transaction: 'each' });

    const [batch] = await db.dataSource.query<{ completed: number; unknown: number }[]>(
      `SELECT completed_count AS completed, delivery_unknown_count AS unknown FROM batches
       WHERE id = $1`,
      [id],
    );
    expect(batch).toEqual({ completed: 2, unknown: 2 });
    const messages = await db.dataSource.query<{ status: string; delivery: string | null }[]>(
      `SELECT status, delivery_status AS delivery FROM messages WHERE batch_id = $1 ORDER BY seq`,
      [id],
    );
    expect(messages).toEqual([
      { status: 'sent', delivery: 'unknown' },
      { status: 'sent', delivery: 'unknown' },
      { status: 'failed', delivery: null },
    ]);
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

// Schema drift: on a freshly migrated database the entities must plan no change, so that
// `npm run migration:generate` after an entity edit writes that edit and nothing else; and, since
// TypeORM compares only some of what it declares, a schema built from the entities alone must be
// the migrated one.
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ensureDatabaseExists } from '../../src/database/database-setup';
import { dropDatabase } from '../support/database';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

/**
 * The entity tables as PostgreSQL describes them, one line per column, constraint and index. What
 * differs only in spelling is written one way: primary keys without their names (TypeORM names
 * them PK_<hash>), numeric defaults without the cast TypeORM adds, and TypeORM's uuid default
 * (uuid_generate_v4(), from the extension it installs at connect) as the migrations' built-in
 * gen_random_uuid().
 */
async function describeTables(dataSource: DataSource, tables: string[]): Promise<string[]> {
  const rows: { line: string }[] = await dataSource.query(
    `SELECT 'column ' || table_name || '.' || column_name || ' ' || udt_name
              || CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END
              || COALESCE(' default ' || column_default, '')
              || COALESCE(' identity ' || identity_generation, '') AS line
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = ANY($1)
     UNION ALL
       SELECT 'constraint ' || conrelid::regclass::text || ' '
              || CASE WHEN contype = 'p' THEN '' ELSE conname || ' ' END
              || pg_get_constraintdef(oid)
         FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text = ANY($1)
     UNION ALL
       SELECT 'index ' || indexdef
         FROM pg_indexes i
        WHERE schemaname = 'public' AND tablename = ANY($1)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                           WHERE c.contype = 'p' AND c.conname = i.indexname)`,
    [tables],
  );
  return rows
    .map(({ line }) =>
      line
        .replace(/default '(-?\d+)'::(bigint|integer|smallint)$/, 'default $1')
        .replace('default uuid_generate_v4()', 'default gen_random_uuid()'),
    )
    .sort();
}

const listed = (lines: string[]): string =>
  lines.length ? lines.map((line) => `\n  ${line}`).join('') : ' nothing';

describe('entities and migrations', () => {
  let db: MigratedDatabase;

  beforeAll(async () => {
    db = await createMigratedDatabase();
  });
  afterAll(() => db.drop());

  it('agree: a migration generated on the migrated schema would be empty', async () => {
    const plan = await db.dataSource.driver.createSchemaBuilder().log();
    const statements = plan.upQueries.map((query) => `  ${query.query};`);
    // Thrown rather than diffed, so the statements read as SQL (no escaped quotes).
    if (statements.length) {
      throw new Error(
        'The entities and the migrations disagree: describe the schema in the entity, or write ' +
          `its migration (README, "Schema changes"). TypeORM would run:\n${statements.join('\n')}`,
      );
    }
    expect(plan.upQueries).toEqual([]);
  });

  // TypeORM matches CHECKs and indexes by name and columns only, and ignores an identity's kind:
  // this catches a CHECK expression, an index's WHERE or a column detail that differs.
  it('agree in every detail: the entities alone build the migrated schema', async () => {
    const url = `${db.url}_entities`;
    await ensureDatabaseExists(url);
    const built = new DataSource(
      dataSourceOptions({ url, poolSize: 2, connectTimeoutMs: 5_000, queryTimeoutMs: 0 }),
    );
    try {
      await built.initialize();
      await built.synchronize();
      const tables = built.entityMetadatas.map((metadata) => metadata.tableName);
      // Indexes the migrations own (synchronize: false) exist only on their side.
      const owned = built.entityMetadatas.flatMap((metadata) =>
        metadata.indices.filter((index) => !index.synchronize).map((index) => index.name),
      );
      const fromEntities = await describeTables(built, tables);
      const fromMigrations = (await describeTables(db.dataSource, tables)).filter(
        (line) => !owned.some((name) => line.startsWith(`index CREATE INDEX ${name} `)),
      );
      const onlyMigrations = fromMigrations.filter((line) => !fromEntities.includes(line));
      const onlyEntities = fromEntities.filter((line) => !fromMigrations.includes(line));
      if (onlyMigrations.length || onlyEntities.length) {
        throw new Error(
          'The entities and the migrations disagree (README, "Schema changes").\n' +
            `Only in the migrated schema:${listed(onlyMigrations)}\n` +
            `Only in the schema built from the entities:${listed(onlyEntities)}`,
        );
      }
      expect(fromEntities).toEqual(fromMigrations);
    } finally {
      if (built.isInitialized) await built.destroy();
      await dropDatabase(url);
    }
  });
});

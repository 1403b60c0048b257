// Schema drift: on a freshly migrated database the entities must plan no change, so that
// `npm run migration:generate` after an entity edit writes that edit and nothing else.
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

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
});

// The integration tier's database: a fresh one per spec file on the machine's PostgreSQL, migrated
// by the committed migrations (the same ones the service runs), dropped when the file is done.
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../../src/database/data-source-options';
import { ensureDatabaseExists } from '../../../src/database/database-setup';
import { dropDatabase } from '../../support/database';
import { scratchDatabaseUrl } from '../../support/test-env';

export interface MigratedDatabase {
  url: string;
  dataSource: DataSource;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** `salvo_test_<pid>_it_<random>`: named like the run's other scratch databases, which its teardown drops. */
export async function createMigratedDatabase(): Promise<MigratedDatabase> {
  const url = scratchDatabaseUrl('it');
  await ensureDatabaseExists(url);
  const dataSource = new DataSource(
    dataSourceOptions({ url, poolSize: 10, connectTimeoutMs: 5_000, queryTimeoutMs: 0 }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return {
    url,
    dataSource,
    async drop() {
      await dataSource.destroy();
      await dropDatabase(url);
    },
  };
}

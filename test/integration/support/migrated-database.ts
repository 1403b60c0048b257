// The integration tier's database: a fresh one per spec file on the machine's PostgreSQL, migrated
// by the committed migrations (the same ones the service runs), dropped when the file is done.
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../../src/database/data-source-options';
import { ensureDatabaseExists } from '../../../src/database/database-setup';
import { dropDatabase } from '../../support/database';

const SERVER = process.env.TEST_POSTGRES_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export interface MigratedDatabase {
  url: string;
  dataSource: DataSource;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** `salvo_it_<pid>_<random>`: apart from the end-to-end run's `salvo_test_…` databases. */
export async function createMigratedDatabase(): Promise<MigratedDatabase> {
  const url = `${SERVER}/salvo_it_${process.pid}_${randomBytes(4).toString('hex')}`;
  await ensureDatabaseExists(url);
  const dataSource = new DataSource(dataSourceOptions({ url, poolSize: 10 }));
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

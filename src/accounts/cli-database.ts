// The operator's CLI scripts run on the service's database, created and migrated if need be.
import { DataSource } from 'typeorm';
import { databaseConfig } from '../config/configuration';
import { dataSourceOptions } from '../database/data-source-options';
import { ADVISORY_LOCKS, ensureDatabaseExists, withAdvisoryLock } from '../database/database-setup';

export async function withMigratedDatabase<T>(
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const config = databaseConfig();
  await ensureDatabaseExists(config.url, config.connectTimeoutMs);
  // An operator's command waits as long as its migrations take, unlike a request.
  const dataSource = await new DataSource(
    dataSourceOptions(config, { unboundedQueries: true }),
  ).initialize();
  try {
    await withAdvisoryLock(dataSource, ADVISORY_LOCKS.migrate, () =>
      dataSource.runMigrations({ transaction: 'each' }),
    );
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { databaseConfig, type DatabaseConfig } from '../config/configuration';
import { dataSourceOptions } from './data-source-options';
import { ADVISORY_LOCKS, withAdvisoryLock } from './database-setup';

/** Connections of the migrations' own pool: one holds the lock, one migrates. */
const MIGRATION_CONNECTIONS = 2;

/**
 * Applies pending migrations at start, one process at a time, on a pool of their own without the
 * service's query timeout (DATABASE_QUERY_TIMEOUT_MS): a migration on a large table, or the wait
 * for another process's, may rightly take longer.
 */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(@Inject(databaseConfig.KEY) private readonly config: DatabaseConfig) {}

  async onModuleInit(): Promise<void> {
    const dataSource = await new DataSource(
      dataSourceOptions(
        { ...this.config, poolSize: MIGRATION_CONNECTIONS },
        { unboundedQueries: true },
      ),
    ).initialize();
    try {
      const applied = await withAdvisoryLock(dataSource, ADVISORY_LOCKS.migrate, () =>
        dataSource.runMigrations({ transaction: 'each' }),
      );
      for (const migration of applied) this.logger.log(`Applied migration ${migration.name}`);
    } finally {
      await dataSource.destroy();
    }
  }
}

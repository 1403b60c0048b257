import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ADVISORY_LOCKS, withAdvisoryLock } from './database-setup';

/** Applies pending migrations at start, one process at a time. */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(private readonly dataSource: DataSource) {}

  async onModuleInit(): Promise<void> {
    const applied = await withAdvisoryLock(this.dataSource, ADVISORY_LOCKS.migrate, () =>
      this.dataSource.runMigrations({ transaction: 'each' }),
    );
    for (const migration of applied) this.logger.log(`Applied migration ${migration.name}`);
  }
}

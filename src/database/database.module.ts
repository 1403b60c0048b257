import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig, type DatabaseConfig } from '../config/configuration';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabaseExists } from './database-setup';
import { MigrationRunner } from './migration-runner';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: async (config: DatabaseConfig) => {
        await ensureDatabaseExists(config.url, config.connectTimeoutMs);
        return dataSourceOptions(config);
      },
    }),
  ],
  providers: [MigrationRunner],
})
export class DatabaseModule {}

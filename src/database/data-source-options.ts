// The one place TypeORM's options are built, shared by the app and the migration CLI (ormconfig.ts).
import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/configuration';
import { AccountEntity } from '../accounts/account.entity';
import { ApiKeyEntity } from '../accounts/api-key.entity';
import { BatchEntity } from '../batch/entities/batch.entity';
import { IdempotencyKeyEntity } from '../batch/entities/idempotency-key.entity';
import { MessageEntity } from '../batch/entities/message.entity';

export const ENTITIES = [
  AccountEntity,
  ApiKeyEntity,
  BatchEntity,
  MessageEntity,
  IdempotencyKeyEntity,
];

export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    entities: ENTITIES,
    // Matches both the compiled .js files in dist/ and the .ts sources under ts-node.
    migrations: [join(__dirname, 'migrations', '*.{js,ts}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: config.poolSize },
  };
}

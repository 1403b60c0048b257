// The one place TypeORM's options are built, shared by the app and the migration CLI (ormconfig.ts).
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/configuration';
import { AccountEntity } from '../accounts/account.entity';
import { ApiKeyEntity } from '../accounts/api-key.entity';
import { BatchProviderStatsEntity } from '../batch/entities/batch-provider-stats.entity';
import { BatchRateStatsEntity } from '../batch/entities/batch-rate-stats.entity';
import { BatchTimelineEntity } from '../batch/entities/batch-timeline.entity';
import { BatchEntity } from '../batch/entities/batch.entity';
import { IdempotencyKeyEntity } from '../batch/entities/idempotency-key.entity';
import { MessageEntity } from '../batch/entities/message.entity';
import { BatchErrorCategoryEntity } from '../errors/error-log/batch-error-category.entity';
import { BatchErrorCodeEntity } from '../errors/error-log/batch-error-code.entity';
import { MessageErrorEntity } from '../errors/error-log/message-error.entity';
import { DailyUsageEntity } from '../quota/daily-usage.entity';
import { PendingReceiptEntity } from '../batch/delivery/pending-receipt.entity';
import { BatchReceiptCountEntity } from '../batch/delivery/batch-receipt-count.entity';
import { InboundMessageEntity } from '../inbound/inbound-message.entity';
import { AdoptedProviderMessageEntity } from '../batch/dispatch/adopted-provider-message.entity';
import { MessagePartEntity } from '../batch/delivery/message-part.entity';
import { ContactEntity } from '../consent/contact.entity';
import { SuppressionEntity } from '../consent/suppression.entity';
import { boundedPoolOptions } from './pg-connections';

/**
 * Every table the migrations create, except the simulator's (simulator_calls, simulator_ledger):
 * those are the fake provider's private memory, managed by hand in the migrations (README, "Schema
 * changes"). test/integration/schema-drift.spec.ts holds these to the migrations.
 */
export const ENTITIES = [
  AccountEntity,
  ApiKeyEntity,
  BatchEntity,
  MessageEntity,
  IdempotencyKeyEntity,
  DailyUsageEntity,
  MessageErrorEntity,
  BatchErrorCategoryEntity,
  BatchErrorCodeEntity,
  BatchTimelineEntity,
  BatchRateStatsEntity,
  BatchProviderStatsEntity,
  PendingReceiptEntity,
  BatchReceiptCountEntity,
  InboundMessageEntity,
  AdoptedProviderMessageEntity,
  MessagePartEntity,
  SuppressionEntity,
  ContactEntity,
];

/**
 * The service's options: every wait on PostgreSQL bounded (pg-connections.ts). For migrations,
 * `unboundedQueries`: a migration, or a wait for another process's, may rightly take minutes.
 */
export function dataSourceOptions(
  config: DatabaseConfig,
  { unboundedQueries = false } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    entities: ENTITIES,
    // Matches both the compiled .js files in dist/ and the .ts sources under ts-node.
    migrations: [join(__dirname, 'migrations', '*.{js,ts}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: config.poolSize, ...boundedPoolOptions(config, { unboundedQueries }) },
    // An idle connection the server dropped: the pool replaces it; said in the service's log.
    poolErrorHandler: (error: Error) =>
      new Logger('Database').warn(`An idle PostgreSQL connection was lost: ${error.message}`),
  };
}

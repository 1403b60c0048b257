// The DataSource the TypeORM CLI uses (npm run migration:generate|run|revert), built from the same
// validated configuration as the service.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseConfig } from './src/config/configuration';
import { dataSourceOptions } from './src/database/data-source-options';

// Migrations may rightly run longer than the service's query timeout.
export default new DataSource(dataSourceOptions(databaseConfig(), { unboundedQueries: true }));

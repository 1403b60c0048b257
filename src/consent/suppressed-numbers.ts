// The suppression lookups of batch ingest, on a small pool of their own.
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { databaseConfig, type DatabaseConfig } from '../config/configuration';
import { boundedPoolOptions } from '../database/pg-connections';
import { SUPPRESSED_AMONG } from './suppression.sql';

/** Connections of the lookup pool: lookups are short, one per step of an ingest. */
const LOOKUP_CONNECTIONS = 2;

/**
 * Which numbers of a batch being ingested are suppressed. An ingest holds one connection of the
 * main pool for its COPY while it waits for these lookups: were they on that pool too, as many
 * ingests at once as it has connections would each hold one and wait for another, forever. On a
 * pool of their own, which never waits for the main one, they cannot. Opened on first use, so a
 * process that never ingests holds none of its connections.
 */
@Injectable()
export class SuppressedNumbers implements OnModuleDestroy {
  private readonly logger = new Logger(SuppressedNumbers.name);
  private pool: Pool | undefined;

  constructor(@Inject(databaseConfig.KEY) private readonly database: DatabaseConfig) {}

  /** Which of `numbers` (E.164) are suppressed for the account: its own entries and every account's. */
  async among(accountId: string, numbers: readonly string[]): Promise<Set<string>> {
    if (!numbers.length) return new Set();
    const { rows } = await this.lookups().query<{ phone_number: string }>(SUPPRESSED_AMONG, [
      numbers,
      accountId,
    ]);
    return new Set(rows.map((row) => row.phone_number));
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.end();
  }

  private lookups(): Pool {
    if (!this.pool) {
      this.pool = new Pool({
        connectionString: this.database.url,
        max: LOOKUP_CONNECTIONS,
        ...boundedPoolOptions(this.database),
      });
      // An idle connection the server closed must not take the process down; the next query
      // opens another.
      this.pool.on('error', (error) =>
        this.logger.warn(`Suppression lookup connection lost: ${error.message}`),
      );
    }
    return this.pool;
  }
}

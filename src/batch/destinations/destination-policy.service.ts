import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  appConfig,
  destinationsConfig,
  type AppConfig,
  type DestinationsConfig,
} from '../../config/configuration';
import { MetricsService } from '../../metrics/metrics.service';
import { ACCOUNT_ALLOWED_COUNTRIES } from './destination-policy.sql';
import { DESTINATION_REFUSAL_REASONS, DestinationCheck, destinationRule } from './destination-rule';

/**
 * The destination rules of each account (ALLOWED_COUNTRIES, narrowed by `accounts.allowed_countries`;
 * BLOCKED_NUMBER_TYPES), for ingest to check every recipient against.
 */
@Injectable()
export class DestinationPolicyService implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: MetricsService,
    @Inject(destinationsConfig.KEY) private readonly config: DestinationsConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Workers take no batches; the processes that do say it once each.
    if (this.app.role !== 'worker' && this.config.allowedCountries.length === 0) {
      new Logger('Destinations').warn(
        'ALLOWED_COUNTRIES is empty: accounts may send to every country, which leaves the ' +
          'provider bill open to SMS pumping (toll fraud through expensive destinations). List ' +
          'the countries you send to, e.g. ALLOWED_COUNTRIES=US,CA.',
      );
    }
  }

  /** A check for one request of the account: one read of its allowed_countries. */
  async checkFor(accountId: string): Promise<DestinationCheck> {
    const rows = await this.dataSource.query<{ allowed_countries: string[] | null }[]>(
      ACCOUNT_ALLOWED_COUNTRIES,
      [accountId],
    );
    return new DestinationCheck(destinationRule(this.config, rows[0]?.allowed_countries ?? null));
  }

  /** Counts the recipients a refused request's check refused, by reason. */
  report(check: DestinationCheck): void {
    for (const reason of DESTINATION_REFUSAL_REASONS) {
      if (check.refused[reason]) this.metrics.refused(reason, check.refused[reason]);
    }
  }
}

import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { accountsConfig, type AccountsConfig } from '../config/configuration';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../database/database-setup';
import { AccountsService } from './accounts.service';

/**
 * Makes sure someone can call the API after start: the account of BOOTSTRAP_API_KEY exists, or, on
 * an empty database without one, a default account whose key is printed once.
 */
@Injectable()
export class AccountsBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsBootstrap.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly accounts: AccountsService,
    @Inject(accountsConfig.KEY) private readonly config: AccountsConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await withAdvisoryLock(this.dataSource, ADVISORY_LOCKS.bootstrapAccounts, () =>
      this.bootstrap(),
    );
  }

  private async bootstrap(): Promise<void> {
    const { bootstrapApiKey } = this.config;
    if (bootstrapApiKey) {
      const key = await this.accounts.findKey(bootstrapApiKey);
      if (!key) {
        await this.accounts.create('bootstrap', bootstrapApiKey);
        this.logger.log('Created the account of BOOTSTRAP_API_KEY');
      } else if (key.revoked) {
        // Someone revoked it on purpose: a new account holding it again would undo that.
        this.logger.warn(
          `BOOTSTRAP_API_KEY is a revoked key (id ${key.keyId}) and authenticates nothing; no account was created with it. Set it to an active key or unset it.`,
        );
      }
      // A row written before keys of other forms showed a fingerprint may still show its start.
      if (key) await this.accounts.correctDisplayPrefix(bootstrapApiKey);
      return;
    }
    if (await this.accounts.hasAnyAccount()) return;
    const { apiKey } = await this.accounts.create('default');
    // Straight to stdout, never through the logger: log pipelines must not collect keys.
    process.stdout.write(
      `\nCreated a default account. Its API key is shown only this once:\n\n    ${apiKey}\n\n` +
        `Use it as "Authorization: Bearer <key>". Create more with: npm run account:create -- <name>\n\n`,
    );
  }
}

import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsBootstrap } from './accounts-bootstrap';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { KeyRevocations } from './key-revocations';

@Module({
  providers: [
    AccountsRepository,
    ApiKeysRepository,
    AccountsService,
    ApiKeysService,
    KeyRevocations,
    AccountsBootstrap,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
  exports: [AccountsService, ApiKeysService, KeyRevocations],
})
export class AccountsModule {}

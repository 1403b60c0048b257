import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsBootstrap } from './accounts-bootstrap.service';
import { AccountsService } from './accounts.service';
import { ApiKeyGuard } from './api-key.guard';

@Module({
  providers: [AccountsService, AccountsBootstrap, { provide: APP_GUARD, useClass: ApiKeyGuard }],
  exports: [AccountsService],
})
export class AccountsModule {}

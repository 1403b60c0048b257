import { Module } from '@nestjs/common';
import { AccountsModule } from './accounts.module';
import { ApiKeysController } from './api-keys.controller';

/** The REST API of API keys (API processes only). */
@Module({ imports: [AccountsModule], controllers: [ApiKeysController] })
export class ApiKeysHttpModule {}

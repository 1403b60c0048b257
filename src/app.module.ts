import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AccountsModule } from './accounts/accounts.module';
import { BatchModule } from './batch/batch.module';
import { configSections } from './config/configuration';
import { DatabaseModule } from './database/database.module';
import { ErrorsModule } from './errors/errors.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { TemplateModule } from './template/template.module';

@Module({
  imports: [
    // Sections are validated when loaded: a bad variable stops the boot with its name.
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configSections }),
    DatabaseModule,
    ErrorsModule,
    AccountsModule,
    TemplateModule,
    BatchModule,
    RateLimitModule,
    MonitoringModule,
  ],
})
export class AppModule {}

import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AccountsModule } from './accounts/accounts.module';
import { ApiKeysHttpModule } from './accounts/api-keys-http.module';
import { SuppressionsHttpModule } from './consent/suppressions-http.module';
import { BatchHttpModule } from './batch/batch-http.module';
import { ConsentModule } from './consent/consent.module';
import { HelpReplyModule } from './consent/help-reply.module';
import { DeliveryModule } from './batch/delivery/delivery.module';
import { DispatchModule } from './batch/dispatch/dispatch.module';
import { adminConfig, configSections, type AppRole } from './config/configuration';
import { DashboardModule } from './dashboard/dashboard.module';
import { DatabaseModule } from './database/database.module';
import { ErrorLogModule } from './errors/error-log/error-log.module';
import { ErrorsModule } from './errors/errors.module';
import { LoggingModule } from './logging/logging.module';
import { GatewayModule } from './monitoring/gateway/gateway.module';
import { MetricsModule } from './metrics/metrics.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { QueueBoardModule } from './monitoring/queue-board/queue-board.module';
import { QueueModule } from './queue/queue.module';
import { AnalyticsModule } from './batch/analytics/analytics.module';
import { RedisModule } from './redis/redis.module';
import { QuotaHttpModule } from './quota/quota-http.module';
import { RequestBodyModule } from './request-body/request-body.module';
import { ThrottleModule } from './security/throttling/throttle.module';
import { TemplateModule } from './template/template.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The whole service, shaped by APP_ROLE: `api` serves HTTP and Socket.IO and dispatches nothing,
 * `worker` dispatches and serves only health and metrics, `all` does both.
 */
@Module({})
export class AppModule {
  /** `queueBoard`: mount Bull Board (API roles only), which needs ADMIN_PASSWORD. */
  static forRole(role: AppRole, { queueBoard = false } = {}): DynamicModule {
    const serves = role !== 'worker';
    const dispatches = role !== 'api';
    return {
      module: AppModule,
      imports: [
        // Sections are validated when loaded: a bad variable stops the boot with its name.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: configSections }),
        LoggingModule,
        DatabaseModule,
        RedisModule,
        QueueModule,
        ErrorsModule,
        AccountsModule,
        RequestBodyModule,
        MetricsModule,
        ThrottleModule,
        MonitoringModule,
        // Receipts come through webhooks (API) and from the simulator (workers).
        DeliveryModule,
        // Inbound SMS come through webhooks (API) and over SMPP binds (workers), and are acted on
        // by consent (STOP, START, HELP); contacts are kept with send results.
        ConsentModule,
        ...(serves
          ? [
              TemplateModule,
              BatchHttpModule,
              QuotaHttpModule,
              ApiKeysHttpModule,
              SuppressionsHttpModule,
              ErrorLogModule,
              AnalyticsModule,
              GatewayModule,
              DashboardModule,
              // Twilio's callbacks: answered 404 until Twilio is configured (src/webhooks/).
              WebhooksModule,
            ]
          : []),
        ...(serves && queueBoard ? [QueueBoardModule.register(adminConfig().queueBoardWrite)] : []),
        ...(dispatches ? [DispatchModule, HelpReplyModule] : []),
      ],
    };
  }
}

import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { BatchModule } from '../../batch/batch.module';
import { DISPATCH_QUEUES } from '../../batch/dispatch/dispatch.jobs';
import {
  adminConfig,
  proxyConfig,
  type AdminConfig,
  type ProxyConfig,
} from '../../config/configuration';
import { HttpThrottle } from '../../security/throttling/http-throttle';
import { boardGuard } from './board-guard';

export const QUEUE_BOARD_ROUTE = '/admin/queues';

/** bull-board's Express app, without the X-Powered-By header it would add under helmet's back. */
class BoardExpressAdapter extends ExpressAdapter {
  constructor() {
    super();
    (this.getRouter() as { disable(setting: string): void }).disable('x-powered-by');
  }
}

/**
 * Bull Board over the dispatch queues, behind basic auth with ADMIN_PASSWORD. Imported only by
 * processes that serve the API, and only when ADMIN_PASSWORD is set (AppModule.forRole).
 * Read-only unless QUEUE_BOARD_WRITE=true: bull-board's own `readOnlyMode` (its write routes answer
 * 405) and, before it, boardGuard refusing every write.
 */
@Module({
  imports: [
    BatchModule,
    BullBoardModule.forRootAsync({
      inject: [adminConfig.KEY, proxyConfig.KEY, HttpThrottle],
      useFactory: (admin: AdminConfig, proxy: ProxyConfig, throttle: HttpThrottle) => {
        if (!admin.password) throw new Error('The queue board needs ADMIN_PASSWORD.');
        return {
          route: QUEUE_BOARD_ROUTE,
          adapter: BoardExpressAdapter,
          middleware: boardGuard({
            password: admin.password,
            write: admin.queueBoardWrite,
            trustedHops: proxy.trustProxy,
            throttle,
          }),
          boardOptions: { uiConfig: { boardTitle: 'Salvo queues' } },
        };
      },
    }),
  ],
})
export class QueueBoardModule {
  /**
   * `write`: QUEUE_BOARD_WRITE. bull-board takes its queues' options when the module is built,
   * before Nest's configuration exists, so AppModule.forRole passes it in.
   */
  static register(write: boolean): DynamicModule {
    return {
      module: QueueBoardModule,
      imports: [
        BullBoardModule.forFeature(
          ...Object.values(DISPATCH_QUEUES).map((name) => ({
            name,
            adapter: BullAdapter,
            options: { readOnlyMode: !write },
          })),
        ),
      ],
    };
  }
}

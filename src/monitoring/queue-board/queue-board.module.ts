import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module } from '@nestjs/common';
import { BatchModule } from '../../batch/batch.module';
import { DISPATCH_QUEUES } from '../../batch/dispatch/dispatch.jobs';
import { adminConfig, type AdminConfig } from '../../config/configuration';
import { basicAuth } from './basic-auth';

export const QUEUE_BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board over the dispatch queues, behind basic auth with ADMIN_PASSWORD. Imported only by
 * processes that serve the API, and only when ADMIN_PASSWORD is set (AppModule.forRole).
 */
@Module({
  imports: [
    BatchModule,
    BullBoardModule.forRootAsync({
      inject: [adminConfig.KEY],
      useFactory: (admin: AdminConfig) => {
        if (!admin.password) throw new Error('The queue board needs ADMIN_PASSWORD.');
        return {
          route: QUEUE_BOARD_ROUTE,
          adapter: ExpressAdapter,
          middleware: basicAuth(admin.password),
          boardOptions: { uiConfig: { boardTitle: 'Salvo queues' } },
        };
      },
    }),
    BullBoardModule.forFeature(
      ...Object.values(DISPATCH_QUEUES).map((name) => ({ name, adapter: BullAdapter })),
    ),
  ],
})
export class QueueBoardModule {}

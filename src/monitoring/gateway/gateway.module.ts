import { Module } from '@nestjs/common';
import { AccountsModule } from '../../accounts/accounts.module';
import { BatchModule } from '../../batch/batch.module';
import { ErrorLogModule } from '../../errors/error-log/error-log.module';
import { AccountSockets } from './account-sockets';
import { BatchEventRelay } from './batch-event.relay';
import { BatchesGateway } from './batches.gateway';
import { RevokedKeySockets } from './revoked-key-sockets';

/** The Socket.IO side of monitoring (API processes only): the `/batches` gateway and its relay. */
@Module({
  imports: [AccountsModule, BatchModule, ErrorLogModule],
  providers: [BatchesGateway, BatchEventRelay, AccountSockets, RevokedKeySockets],
})
export class GatewayModule {}

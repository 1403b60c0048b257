import { Module } from '@nestjs/common';
import { InboundRepository } from './inbound.repository';

/** Inbound SMS: stored by the providers' webhooks (src/webhooks/); the consent rules read them. */
@Module({
  providers: [InboundRepository],
  exports: [InboundRepository],
})
export class InboundModule {}

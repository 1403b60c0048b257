import { Module } from '@nestjs/common';
import { InboundRepository } from './inbound.repository';

/**
 * Inbound SMS: the table the providers' webhooks (src/webhooks/) and adapters that receive them on
 * their own connection (SMPP) store into. They reach it through INBOUND_RECORDER, which the consent
 * module provides (src/consent/), so every stored message has its keywords acted on.
 */
@Module({
  providers: [InboundRepository],
  exports: [InboundRepository],
})
export class InboundModule {}

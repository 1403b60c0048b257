import { Global, Module } from '@nestjs/common';
import { INBOUND_RECORDER } from '../sms/receipts';
import { InboundRepository } from './inbound.repository';

/**
 * Inbound SMS: stored by the providers' webhooks (src/webhooks/) and by adapters that receive
 * them on their own connection (SMPP), through INBOUND_RECORDER; the consent rules read them.
 * Global for the same reason as the delivery module: `sms` must not import `inbound`, so it
 * injects the port by its token, whose interface lives in sms/receipts.ts.
 */
@Global()
@Module({
  providers: [InboundRepository, { provide: INBOUND_RECORDER, useExisting: InboundRepository }],
  exports: [InboundRepository, INBOUND_RECORDER],
})
export class InboundModule {}

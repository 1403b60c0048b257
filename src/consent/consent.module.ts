import { BullModule } from '@nestjs/bull';
import { Global, Module } from '@nestjs/common';
import { InboundModule } from '../inbound/inbound.module';
import { INBOUND_RECORDER } from '../sms/receipts';
import { ConsentRepository } from './consent.repository';
import { HELP_REPLY_QUEUE } from './help-reply.jobs';
import { HelpReplyProducer } from './help-reply.producer';
import { InboundConsentService } from './inbound-consent.service';
import { ProviderSenders } from './provider-senders';
import { SuppressedNumbers } from './suppressed-numbers';

/**
 * Consent (opt-outs): every inbound SMS is stored through INBOUND_RECORDER, which this module
 * provides, so its keywords act whichever way it came (a webhook on API processes, an SMPP bind on
 * workers). Global for the reason the delivery module is: `sms` must not import `consent`, so the
 * SMPP adapter injects the port by its token (sms/receipts.ts). The sender of each provider is
 * here too, for the statement that writes send results and their contacts.
 */
@Global()
@Module({
  imports: [InboundModule, BullModule.registerQueue({ name: HELP_REPLY_QUEUE })],
  providers: [
    ProviderSenders,
    SuppressedNumbers,
    ConsentRepository,
    HelpReplyProducer,
    InboundConsentService,
    { provide: INBOUND_RECORDER, useExisting: InboundConsentService },
  ],
  exports: [
    ProviderSenders,
    SuppressedNumbers,
    ConsentRepository,
    HelpReplyProducer,
    INBOUND_RECORDER,
  ],
})
export class ConsentModule {}

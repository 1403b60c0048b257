import { Module } from '@nestjs/common';
import { InboundModule } from '../inbound/inbound.module';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksController } from './twilio-webhooks.controller';
import { TwilioWebhooksService } from './twilio-webhooks.service';

/**
 * Providers' webhooks, served by the processes that serve the API. Receipts go to RECEIPT_RECORDER,
 * which the delivery module provides (src/batch/delivery/), found once the application is built.
 */
@Module({
  imports: [InboundModule],
  controllers: [TwilioWebhooksController],
  providers: [TwilioWebhooksService, TwilioSignatureGuard],
})
export class WebhooksModule {}

import { Module } from '@nestjs/common';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksController } from './twilio-webhooks.controller';
import { TwilioWebhooksService } from './twilio-webhooks.service';

/**
 * Providers' webhooks, served by the processes that serve the API. Receipts go to RECEIPT_RECORDER,
 * which the delivery module provides (src/batch/delivery/), inbound SMS to INBOUND_RECORDER, which
 * the consent module provides (src/consent/), both found once the application is built.
 */
@Module({
  controllers: [TwilioWebhooksController],
  providers: [TwilioWebhooksService, TwilioSignatureGuard],
})
export class WebhooksModule {}

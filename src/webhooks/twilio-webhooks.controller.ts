import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../accounts/api-key.guard';
import { ReadsOwnBody } from '../request-body/body-limits';
import type { FormParams } from './form-body';
import { TwilioSignatureGuard } from './twilio-signature.guard';
import { TwilioWebhooksService } from './twilio-webhooks.service';
import { ApiTwilioWebhook } from './webhooks.openapi';

/** An empty TwiML answer: Twilio sends no reply to the inbound SMS. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * Twilio's status callbacks and inbound messages (README, "Connecting Twilio"). No API key: the
 * guard checks the throttle, the body and the signature before anything runs.
 */
@Public()
@ReadsOwnBody()
@UseGuards(TwilioSignatureGuard)
@Controller('webhooks/twilio')
export class TwilioWebhooksController {
  constructor(private readonly webhooks: TwilioWebhooksService) {}

  @Post('status')
  @HttpCode(200)
  @ApiTwilioWebhook('status')
  async status(@Body() params: FormParams): Promise<void> {
    await this.webhooks.status(params);
  }

  @Post('inbound')
  @HttpCode(200)
  @ApiTwilioWebhook('inbound')
  async inbound(
    @Body() params: FormParams,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    await this.webhooks.receive(params);
    // Set once stored: a refusal before is the JSON error body, with its own type.
    res.type('text/xml; charset=utf-8');
    return EMPTY_TWIML;
  }
}

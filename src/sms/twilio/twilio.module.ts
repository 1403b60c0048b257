import { Module } from '@nestjs/common';
import { TwilioSmsProvider } from './twilio-sms-provider';

/** The Twilio adapter (SMS_PROVIDER=twilio); it connects on its first call, never at boot. */
@Module({
  providers: [TwilioSmsProvider],
  exports: [TwilioSmsProvider],
})
export class TwilioModule {}

import { Module } from '@nestjs/common';
import { SmppSmsProvider } from './smpp-sms-provider';

/** The SMPP adapter (SMS_PROVIDER=smpp): binds to one SMSC from every worker process. */
@Module({
  providers: [SmppSmsProvider],
  exports: [SmppSmsProvider],
})
export class SmppModule {}

import { Injectable } from '@nestjs/common';
import { outcomeUnknown } from '../provider-call';
import type { SendResult, SmsProvider } from '../sms-provider';

/** SMPP v3.4 to one SMSC (README, "Connecting to an SMSC"). */
@Injectable()
export class SmppSmsProvider implements SmsProvider {
  readonly idempotent = false;

  send(): Promise<SendResult> {
    return Promise.resolve({
      accepted: false,
      category: 'auth',
      code: 'SMPP_NOT_CONFIGURED',
      message: 'SMPP is not configured.',
    });
  }

  resolve(): Promise<SendResult> {
    return Promise.resolve(outcomeUnknown('SMPP has no lookup.'));
  }
}

import { Module } from '@nestjs/common';
import { SMS_PROVIDER } from './sms-provider';
import { SimulatedSmsProvider } from './simulator/simulated-sms-provider';
import { SimulatorLedger } from './simulator/simulator-ledger';

/** The provider port and its adapters; SMS_PROVIDER picks one (only `simulated` so far). */
@Module({
  providers: [
    SimulatorLedger,
    SimulatedSmsProvider,
    { provide: SMS_PROVIDER, useExisting: SimulatedSmsProvider },
  ],
  exports: [SMS_PROVIDER],
})
export class SmsModule {}

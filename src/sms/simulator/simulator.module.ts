import { Module } from '@nestjs/common';
import { SimulatedSmsProvider } from './simulated-sms-provider';
import { SimulatorLedger } from './simulator-ledger';

/** The simulated provider (SMS_PROVIDER=simulated) and its ledger in PostgreSQL. */
@Module({
  providers: [SimulatorLedger, SimulatedSmsProvider],
  exports: [SimulatedSmsProvider],
})
export class SimulatorModule {}

import { Module, type Type } from '@nestjs/common';
import {
  dispatchConfig,
  smsConfig,
  type DispatchConfig,
  type SmsConfig,
  type SmsProviderName,
} from '../config/configuration';
import { assertLeaseCoversCall } from './provider-call';
import { SMS_PROVIDER, type SmsProvider } from './sms-provider';
import { SimulatedSmsProvider } from './simulator/simulated-sms-provider';
import { SimulatorModule } from './simulator/simulator.module';
import { SmppModule } from './smpp/smpp.module';
import { SmppSmsProvider } from './smpp/smpp-sms-provider';
import { TwilioModule } from './twilio/twilio.module';
import { TwilioSmsProvider } from './twilio/twilio-sms-provider';

interface SmsAdapter {
  /** The adapter's own module (src/sms/<provider>/), which exports `adapter`. */
  module: Type;
  adapter: Type<SmsProvider>;
}

/**
 * Every adapter, by its SMS_PROVIDER name: adding a provider is its folder plus one line here (and
 * its name in SMS_PROVIDERS, where the variable is validated). Every adapter's module is loaded,
 * so an adapter's constructor must not connect or check credentials; only the chosen one is used.
 */
const ADAPTERS: Readonly<Record<SmsProviderName, SmsAdapter>> = {
  simulated: { module: SimulatorModule, adapter: SimulatedSmsProvider },
  twilio: { module: TwilioModule, adapter: TwilioSmsProvider },
  smpp: { module: SmppModule, adapter: SmppSmsProvider },
};

const NAMES = Object.keys(ADAPTERS) as SmsProviderName[];

/** The provider port: SMS_PROVIDER chooses the adapter that every send goes through. */
@Module({
  imports: NAMES.map((name) => ADAPTERS[name].module),
  providers: [
    {
      provide: SMS_PROVIDER,
      // Injected rather than looked up, so Nest has built each adapter before the choice is made.
      inject: [smsConfig.KEY, dispatchConfig.KEY, ...NAMES.map((name) => ADAPTERS[name].adapter)],
      useFactory: (sms: SmsConfig, dispatch: DispatchConfig, ...adapters: SmsProvider[]) => {
        const adapter = adapters[NAMES.indexOf(sms.provider)];
        assertLeaseCoversCall(adapter, sms, dispatch);
        return adapter;
      },
    },
  ],
  exports: [SMS_PROVIDER],
})
export class SmsModule {}

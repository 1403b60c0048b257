import { Module, type Type } from '@nestjs/common';
import {
  routingConfig,
  smsConfig,
  type RoutingConfig,
  type SmsConfig,
  type SmsProviderName,
} from '../config/configuration';
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

/** The adapters of the providers in use (every provider SMS_ROUTES names, or SMS_PROVIDER). */
export class SmsProviders {
  constructor(private readonly adapters: ReadonlyMap<SmsProviderName, SmsProvider>) {}

  /** The adapter of `name`, which must be in use. */
  get(name: SmsProviderName): SmsProvider {
    const adapter = this.adapters.get(name);
    if (!adapter) throw new Error(`No route names the provider "${name}".`);
    return adapter;
  }

  /** Whether `name` is in use (configured and named by SMS_PROVIDER or a route). */
  has(name: SmsProviderName): boolean {
    return this.adapters.has(name);
  }

  /** The providers in use that honour idempotency keys. */
  idempotent(): SmsProviderName[] {
    return [...this.adapters].filter(([, adapter]) => adapter.idempotent).map(([name]) => name);
  }
}

/**
 * The provider port: SMS_PROVIDER's adapter, and every adapter the routes name (SmsProviders).
 * A call longer than the claim lease (a send, then a resolution) is covered by the claim's
 * renewals and fenced before each request (ClaimLeases, callProvider).
 */
@Module({
  imports: NAMES.map((name) => ADAPTERS[name].module),
  providers: [
    {
      provide: SmsProviders,
      // Injected rather than looked up, so Nest has built each adapter before the choice is made.
      inject: [smsConfig.KEY, routingConfig.KEY, ...NAMES.map((name) => ADAPTERS[name].adapter)],
      useFactory: (sms: SmsConfig, routing: RoutingConfig, ...adapters: SmsProvider[]) => {
        const inUse = new Set([sms.provider, ...routing.providers]);
        return new SmsProviders(
          new Map([...inUse].map((name) => [name, adapters[NAMES.indexOf(name)]] as const)),
        );
      },
    },
    {
      provide: SMS_PROVIDER,
      inject: [SmsProviders, smsConfig.KEY],
      useFactory: (providers: SmsProviders, sms: SmsConfig) => providers.get(sms.provider),
    },
  ],
  exports: [SMS_PROVIDER, SmsProviders],
})
export class SmsModule {}

import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import {
  dispatchConfig,
  redisConfig,
  routingConfig,
  smppConfig,
  smsConfig,
  twilioConfig,
  type RoutingConfig,
  type SmppSettings,
  type SmsConfig,
  type TwilioSettings,
} from '../config/configuration';
import { REDIS } from '../redis/redis.module';
import { INBOUND_RECORDER, RECEIPT_RECORDER } from './receipts';
import { SMS_PROVIDER, type SmsProvider } from './sms-provider';
import { SimulatedSmsProvider } from './simulator/simulated-sms-provider';
import { SmsModule, SmsProviders } from './sms.module';
import { parseRoutes } from '../config/routes';
import { smppSettings } from '../../test/factories/smpp-settings';
import { SmppSmsProvider } from './smpp/smpp-sms-provider';
import { TwilioSmsProvider } from './twilio/twilio-sms-provider';

/** What the app's global modules give the adapters; never called while the module is built. */
@Global()
@Module({
  providers: [
    { provide: DataSource, useValue: {} },
    { provide: REDIS, useValue: {} },
    { provide: RECEIPT_RECORDER, useValue: {} },
    { provide: INBOUND_RECORDER, useValue: {} },
  ],
  exports: [DataSource, REDIS, RECEIPT_RECORDER, INBOUND_RECORDER],
})
class Infrastructure {}

/**
 * The module as the app builds it, with settings given here rather than read from the
 * environment (only src/config/ reads it): the defaults, changed where a test says.
 */
function build({
  sms = {},
  twilio = null,
  smpp = null,
  routing = {},
}: {
  sms?: Partial<SmsConfig>;
  routing?: Partial<RoutingConfig>;
  twilio?: TwilioSettings | null;
  smpp?: SmppSettings | null;
} = {}) {
  return Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        load: [smsConfig, routingConfig, dispatchConfig, redisConfig, twilioConfig, smppConfig],
      }),
      Infrastructure,
      SmsModule,
    ],
  })
    .overrideProvider(smsConfig.KEY)
    .useValue({ ...smsConfig(), ...sms })
    .overrideProvider(routingConfig.KEY)
    .useValue({ ...routingConfig(), ...routing })
    .overrideProvider(twilioConfig.KEY)
    .useValue({ settings: twilio })
    .overrideProvider(smppConfig.KEY)
    .useValue({ settings: smpp })
    .compile();
}

const TWILIO: TwilioSettings = {
  accountSid: 'AC' + 'a'.repeat(32),
  authToken: 'token-of-the-account',
  from: '+15005550006',
  messagingServiceSid: null,
  apiBaseUrl: 'https://api.twilio.com',
  maxConcurrency: 100,
  lookupDelayMs: 2000,
  publicBaseUrl: 'https://salvo.example.com',
};

describe('SmsModule', () => {
  it('hands out the adapter SMS_PROVIDER names, fully built (Twilio unconfigured)', async () => {
    const app = await build();
    const provider = app.get<SmsProvider>(SMS_PROVIDER);
    expect(provider).toBeInstanceOf(SimulatedSmsProvider);
    expect(provider.idempotent).toBe(true);
    await app.close();
  });

  // The default CLAIM_LEASE_MS (15 s) is shorter than a send and Twilio's resolution: renewals
  // cover such a call (ClaimLeases), so nothing refuses the lease.
  it('hands out the Twilio adapter when SMS_PROVIDER=twilio, with the default lease', async () => {
    const app = await build({ sms: { provider: 'twilio' }, twilio: TWILIO });
    const provider = app.get<SmsProvider>(SMS_PROVIDER);
    expect(provider).toBeInstanceOf(TwilioSmsProvider);
    expect(provider.idempotent).toBe(false);
    await app.close();
  });

  it('hands out the SMPP adapter when SMS_PROVIDER=smpp, without binding before the app starts', async () => {
    const smpp = smppSettings(1);
    const app = await build({ sms: { provider: 'smpp' }, smpp });
    const provider = app.get<SmsProvider>(SMS_PROVIDER);
    expect(provider).toBeInstanceOf(SmppSmsProvider);
    expect(provider.idempotent).toBe(false);
    await app.close();
  });

  it('hands out every adapter the routes name', async () => {
    const table = parseRoutes('+44=twilio,simulated;*=simulated', ['simulated', 'twilio']);
    const routing = { table, providers: ['twilio', 'simulated'] as const };
    const app = await build({
      routing: { ...routing, providers: [...routing.providers] },
      twilio: TWILIO,
    });
    const providers = app.get(SmsProviders);
    expect(providers.get('twilio')).toBeInstanceOf(TwilioSmsProvider);
    expect(providers.get('simulated')).toBeInstanceOf(SimulatedSmsProvider);
    expect(providers.idempotent()).toEqual(['simulated']);
    expect(() => providers.get('smpp')).toThrow(/No route names the provider "smpp"/);
    await app.close();
  });
});

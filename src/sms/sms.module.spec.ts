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
  type DispatchConfig,
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
  dispatch = {},
  twilio = null,
  smpp = null,
  routing = {},
}: {
  sms?: Partial<SmsConfig>;
  routing?: Partial<RoutingConfig>;
  dispatch?: Partial<DispatchConfig>;
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
    .overrideProvider(dispatchConfig.KEY)
    .useValue({ ...dispatchConfig(), ...dispatch })
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

  it('hands out the Twilio adapter when SMS_PROVIDER=twilio', async () => {
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

  it("refuses a claim lease shorter than a send and Twilio's resolution (lookup delay counted)", async () => {
    // 10000 (send) + 5000 (delay) + 2 × 10000 (lookup, resend) + 250 + 1000 = 36250.
    const build5s = build({
      sms: { provider: 'twilio' },
      dispatch: { claimLeaseMs: 36_000 },
      twilio: { ...TWILIO, lookupDelayMs: 5000 },
    });
    await expect(build5s).rejects.toThrow(/CLAIM_LEASE_MS must exceed .*\(36250\)/);
  });

  it('hands out every adapter the routes name, each held to the claim lease', async () => {
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

    const shortLease = build({
      routing: { ...routing, providers: [...routing.providers] },
      dispatch: { claimLeaseMs: 20_000 },
      twilio: TWILIO,
    });
    await expect(shortLease).rejects.toThrow(
      /CLAIM_LEASE_MS must exceed .*the provider twilio in use/,
    );
  });
});

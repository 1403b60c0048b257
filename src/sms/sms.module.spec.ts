import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { dispatchConfig, redisConfig, smsConfig, twilioConfig } from '../config/configuration';
import { REDIS } from '../redis/redis.module';
import { RECEIPT_RECORDER } from './receipts';
import { SMS_PROVIDER, type SmsProvider } from './sms-provider';
import { SimulatedSmsProvider } from './simulator/simulated-sms-provider';
import { SmsModule } from './sms.module';
import { TwilioSmsProvider } from './twilio/twilio-sms-provider';

/** What the app's global modules give the adapters; never called while the module is built. */
@Global()
@Module({
  providers: [
    { provide: DataSource, useValue: {} },
    { provide: REDIS, useValue: {} },
    { provide: RECEIPT_RECORDER, useValue: {} },
  ],
  exports: [DataSource, REDIS, RECEIPT_RECORDER],
})
class Infrastructure {}

const build = () =>
  Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        load: [smsConfig, dispatchConfig, redisConfig, twilioConfig],
      }),
      Infrastructure,
      SmsModule,
    ],
  }).compile();

const TWILIO = {
  SMS_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN: 'token-of-the-account',
  TWILIO_FROM: '+15005550006',
  PUBLIC_BASE_URL: 'https://salvo.example.com',
};

describe('SmsModule', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('hands out the adapter SMS_PROVIDER names, fully built (Twilio unconfigured)', async () => {
    const app = await build();
    const provider = app.get<SmsProvider>(SMS_PROVIDER);
    expect(provider).toBeInstanceOf(SimulatedSmsProvider);
    expect(provider.idempotent).toBe(true);
    await app.close();
  });

  it('hands out the Twilio adapter when SMS_PROVIDER=twilio', async () => {
    Object.assign(process.env, TWILIO);
    const app = await build();
    const provider = app.get<SmsProvider>(SMS_PROVIDER);
    expect(provider).toBeInstanceOf(TwilioSmsProvider);
    expect(provider.idempotent).toBe(false);
    await app.close();
  });

  it("refuses a claim lease shorter than a send and Twilio's resolution (lookup delay counted)", async () => {
    // 10000 (send) + 5000 (delay) + 2 × 10000 (lookup, resend) + 250 + 1000 = 36250.
    Object.assign(process.env, TWILIO, { TWILIO_LOOKUP_DELAY_MS: '5000', CLAIM_LEASE_MS: '36000' });
    await expect(build()).rejects.toThrow(/CLAIM_LEASE_MS must exceed .*\(36250\)/);
  });
});

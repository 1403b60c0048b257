import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { dispatchConfig, redisConfig, smsConfig } from '../config/configuration';
import { REDIS } from '../redis/redis.module';
import { SMS_PROVIDER, type SmsProvider } from './sms-provider';
import { SimulatedSmsProvider } from './simulator/simulated-sms-provider';
import { SmsModule } from './sms.module';

/** What the app's global modules give the adapters; never called while the module is built. */
@Global()
@Module({
  providers: [
    { provide: DataSource, useValue: {} },
    { provide: REDIS, useValue: {} },
  ],
  exports: [DataSource, REDIS],
})
class Infrastructure {}

describe('SmsModule', () => {
  it('hands out the adapter SMS_PROVIDER names, fully built', async () => {
    const app = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [smsConfig, dispatchConfig, redisConfig],
        }),
        Infrastructure,
        SmsModule,
      ],
    }).compile();
    const provider = app.get<SmsProvider>(SMS_PROVIDER);
    expect(provider).toBeInstanceOf(SimulatedSmsProvider);
    expect(provider.idempotent).toBe(true);
    await app.close();
  });
});

// The built service with both real-provider fakes on loopback, the fake Twilio and the test SMSC,
// on a database and Redis prefix of its own: for tests of several providers at once.
import { api, type ApiClient } from './api';
import { startApp, type RunningApp } from './app-process';
import { dropDatabase } from './database';
import { FakeSmsc, type FakeSmscOptions } from './fake-smsc';
import { FakeTwilio } from './fake-twilio';
import { freePort } from './free-port';
import { deleteKeys } from './redis';
import { scratchDatabaseUrl, testEnv } from './test-env';

export interface ProvidersApp {
  /** Started before the service; usable at once. */
  twilio: FakeTwilio;
  smsc: FakeSmsc;
  app: RunningApp;
  client: ApiClient;
  databaseUrl: string;
  /** PUBLIC_BASE_URL: where the service's Twilio webhooks are signed for. */
  publicBaseUrl: string;
}

/**
 * Starts the fakes and a service configured for both (Twilio by default, `env` adds routes and the
 * rest) for the enclosing describe block, once the SMSC sees its bind; stops and drops everything
 * afterwards. Read the fields inside tests: they are set by beforeAll.
 */
export function useProvidersApp(
  name: string,
  env: Record<string, string>,
  smscOptions: Partial<FakeSmscOptions> = {},
): ProvidersApp {
  const databaseUrl = scratchDatabaseUrl(name);
  const redisPrefix = `${testEnv().redisPrefix}-${name}`;
  const context = { twilio: new FakeTwilio(), databaseUrl } as ProvidersApp;
  beforeAll(async () => {
    await context.twilio.start();
    context.smsc = await FakeSmsc.start(smscOptions);
    const port = await freePort();
    context.publicBaseUrl = `http://127.0.0.1:${port}`;
    context.app = await startApp({
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: redisPrefix,
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: context.twilio.accountSid,
      TWILIO_AUTH_TOKEN: context.twilio.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE_URL: context.twilio.baseUrl,
      PUBLIC_BASE_URL: context.publicBaseUrl,
      SMPP_URL: context.smsc.url,
      SMPP_SYSTEM_ID: 'salvo',
      SMPP_PASSWORD: 'secret',
      ...env,
    });
    context.client = api(context.app, testEnv().bootstrapApiKey);
    const smsc = context.smsc;
    await smsc.waitFor('the bind', () => smsc.sessions === 1, 10_000);
  });
  afterAll(async () => {
    await context.app?.stop();
    await context.smsc?.stop();
    await context.twilio.close();
    await dropDatabase(databaseUrl);
    await deleteKeys(testEnv().redisUrl, redisPrefix);
  });
  return context;
}

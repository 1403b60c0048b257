// supertest against a running service, authenticated as an account.
import request from 'supertest';
import { startApp, type RunningApp } from './app-process';
import { dropDatabase } from './database';
import { deleteKeys } from './redis';
import { scratchDatabaseUrl, testEnv } from './test-env';

export type ApiClient = ReturnType<typeof api>;

export function api(app: RunningApp, key: string) {
  const auth = { Authorization: `Bearer ${key}` };
  return {
    get: (path: string) => request(app.url).get(path).set(auth),
    post: (path: string, body?: unknown) =>
      request(app.url)
        .post(path)
        .set(auth)
        .send(body as object),
  };
}

/**
 * Starts a service for the enclosing describe block (stopped after it) and a client holding the
 * bootstrap key. Read the fields inside tests: they are set by beforeAll.
 */
export function useApp(overrides: Record<string, string | undefined> = {}): {
  app: RunningApp;
  client: ApiClient;
} {
  const context = {} as { app: RunningApp; client: ApiClient };
  beforeAll(async () => {
    context.app = await startApp(overrides);
    context.client = api(context.app, testEnv().bootstrapApiKey);
  });
  afterAll(() => context.app?.stop());
  return context;
}

/**
 * useApp on a database and Redis prefix of its own, dropped afterwards: for a test that measures
 * rates, which batches left running by other files would share (the provider ceiling is shared).
 */
export function useIsolatedApp(
  name: string,
  overrides: Record<string, string | undefined> = {},
): { app: RunningApp; client: ApiClient; databaseUrl: string } {
  const databaseUrl = scratchDatabaseUrl(name);
  const redisPrefix = `${testEnv().redisPrefix}-${name}`;
  const context = Object.assign(
    useApp({ ...overrides, DATABASE_URL: databaseUrl, REDIS_PREFIX: redisPrefix }),
    { databaseUrl },
  );
  afterAll(async () => {
    await context.app?.stop();
    await dropDatabase(databaseUrl);
    await deleteKeys(testEnv().redisUrl, redisPrefix);
  });
  return context;
}

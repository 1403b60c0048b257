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
 * A database and Redis prefix of their own for the services a describe block starts by hand: the
 * overrides to give each of them, and `drop` for afterAll (after the services stopped).
 */
export function scratchEnv(name: string): {
  env: { DATABASE_URL: string; REDIS_PREFIX: string };
  drop: () => Promise<void>;
} {
  const databaseUrl = scratchDatabaseUrl(name);
  const redisPrefix = `${testEnv().redisPrefix}-${name}`;
  return {
    env: { DATABASE_URL: databaseUrl, REDIS_PREFIX: redisPrefix },
    drop: async () => {
      await dropDatabase(databaseUrl);
      await deleteKeys(testEnv().redisUrl, redisPrefix);
    },
  };
}

/**
 * useApp on a database and Redis prefix of its own, dropped afterwards: for a test that measures
 * rates, which batches left running by other files would share (the provider ceiling is shared),
 * or one that sends to the simulator's opted-out number (its answer suppresses the number for
 * every account of the database).
 */
export function useIsolatedApp(
  name: string,
  overrides: Record<string, string | undefined> = {},
): { app: RunningApp; client: ApiClient; databaseUrl: string } {
  const scratch = scratchEnv(name);
  const context = Object.assign(useApp({ ...overrides, ...scratch.env }), {
    databaseUrl: scratch.env.DATABASE_URL,
  });
  afterAll(async () => {
    await context.app?.stop();
    await scratch.drop();
  });
  return context;
}

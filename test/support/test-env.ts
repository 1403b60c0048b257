// Where the end-to-end tests run: their own database and Redis prefix, named once per jest run.
import { randomBytes } from 'node:crypto';

export interface TestEnv {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  bootstrapApiKey: string;
}

const SERVER = process.env.TEST_POSTGRES_SERVER ?? 'postgres://postgres@127.0.0.1:5432';

export function createTestEnv(): TestEnv {
  const id = `${process.pid}_${randomBytes(3).toString('hex')}`;
  return {
    databaseUrl: `${SERVER}/salvo_test_${id}`,
    redisUrl: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: `salvo-test-${id}`,
    bootstrapApiKey: `salvo_test_${randomBytes(24).toString('base64url')}`,
  };
}

/** Set by the global setup for every test file of the run. */
export function testEnv(): TestEnv {
  const value = process.env.SALVO_TEST_ENV;
  if (!value)
    throw new Error('SALVO_TEST_ENV is not set: run the end-to-end tests through jest (npm test).');
  return JSON.parse(value) as TestEnv;
}

/** A database of its own on the same server, for a test that needs an empty one. */
export function scratchDatabaseUrl(suffix: string): string {
  return `${SERVER}/salvo_test_${process.pid}_${suffix}_${randomBytes(3).toString('hex')}`;
}

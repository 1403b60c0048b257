import { dropDatabase, withDatabase } from './database';
import { deleteKeys } from './redis';
import { testEnv } from './test-env';

/** Drops every database this run created and deletes its Redis keys. */
export default async function globalTeardown(): Promise<void> {
  const env = testEnv();
  const server = new URL(env.databaseUrl);
  const runPrefix = decodeURIComponent(server.pathname.slice(1)).split('_').slice(0, 3).join('_');
  server.pathname = '/postgres';
  const names = await withDatabase(
    server.toString(),
    async (client) =>
      (
        await client.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE $1`,
          [`${runPrefix}\\_%`],
        )
      ).rows,
  );
  for (const { datname } of names) {
    const url = new URL(server.toString());
    url.pathname = `/${datname}`;
    await dropDatabase(url.toString());
  }

  await deleteKeys(env.redisUrl, env.redisPrefix);
}

import Redis from 'ioredis';
import { dropDatabase, withDatabase } from './database';
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

  const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.redisPrefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

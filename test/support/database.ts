// Direct access to the test database: for checks a user cannot make through the API.
import { execFileSync } from 'node:child_process';
import { Client } from 'pg';

export async function withDatabase<T>(
  url: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return withDatabase(url, async (client) => (await client.query(sql, params)).rows as T[]);
}

/** Row counts of every table, to prove a rejected request left nothing behind. */
export async function tableCounts(url: string): Promise<Record<string, number>> {
  const tables = ['accounts', 'api_keys', 'batches', 'messages', 'idempotency_keys'];
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const [row] = await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(row.n);
  }
  return counts;
}

/** The whole database as pg_dump writes it (schema and data). */
export function dumpDatabase(url: string): string {
  return execFileSync('pg_dump', ['--dbname', url], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
}

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  target.pathname = '/postgres';
  await withDatabase(target.toString(), (client) =>
    client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`),
  );
}

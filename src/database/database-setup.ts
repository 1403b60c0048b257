// Start-up chores that several processes may run at once: create the database, migrate, bootstrap.
import { Client } from 'pg';
import type { DataSource } from 'typeorm';

/** Advisory lock keys (arbitrary, fixed) that serialise start-up work across processes. */
export const ADVISORY_LOCKS = {
  createDatabase: 0x5a1_0000,
  migrate: 0x5a1_0001,
  bootstrapAccounts: 0x5a1_0002,
  reconcile: 0x5a1_0003,
} as const;

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates the database named in `url` when it does not exist, connecting to `postgres` to do it.
 * `connectTimeoutMs` bounds the connection (not the wait for another process's lock): a server out
 * of reach stops the start with an error rather than a process that never listens.
 */
export async function ensureDatabaseExists(url: string, connectTimeoutMs?: number): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({
    connectionString: maintenance.toString(),
    connectionTimeoutMillis: connectTimeoutMs,
  });
  await client.connect();
  try {
    // Serialised across processes; the error check below still covers a server without the lock's
    // protection (another tool creating the database at the same moment).
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.createDatabase]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await client.end(); // ends the session, which releases the lock
  }
}

/** Runs `work` while holding a session-level advisory lock, so concurrent starts take turns. */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  key: number,
  work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [key]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}

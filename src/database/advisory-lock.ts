import type { EntityManager } from 'typeorm';

/**
 * Takes a transaction-level advisory lock if no one holds it (it is released at commit or
 * rollback); answers whether it did. The keys are ADVISORY_LOCKS (database-setup.ts).
 */
export async function tryAdvisoryXactLock(manager: EntityManager, key: number): Promise<boolean> {
  const [{ locked }] = await manager.query<{ locked: boolean }[]>(
    `SELECT pg_try_advisory_xact_lock($1) AS locked`,
    [key],
  );
  return locked;
}

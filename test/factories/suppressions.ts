// A suppression written straight into a test database: deployment-wide (a STOP reply) when no
// account is given, else that account's own manual entry.
import { randomUUID } from 'node:crypto';

interface Queryable {
  query(sql: string, parameters: unknown[]): Promise<unknown>;
}

export async function insertSuppression(
  db: Queryable,
  phoneNumber: string,
  accountId: string | null,
): Promise<void> {
  await db.query(
    `INSERT INTO suppressions (id, phone_number, account_id, scope, reason)
     VALUES ($1, $2, $3, $4, $5)`,
    [
      randomUUID(),
      phoneNumber,
      accountId,
      accountId ? 'account' : 'deployment',
      accountId ? 'manual' : 'stop_reply',
    ],
  );
}

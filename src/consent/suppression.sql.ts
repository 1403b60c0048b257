// Whether numbers are suppressed for an account: its own entries and the deployment-wide ones.
// Shared by the ingest (recipients dropped) and the claim (messages failed with SUPPRESSED).

/** The code of a message refused at its claim because its number is suppressed. */
export const SUPPRESSED = 'SUPPRESSED';

/**
 * SQL: whether the number `phone` is suppressed for the account `account` (SQL expressions;
 * qualify a column with its table, or it would name the suppressions' own column). Two
 * probes, one per partial unique index (suppressions_deployment_key, suppressions_account_key):
 * an `account_id IS NULL OR account_id = …` condition could use neither.
 */
export const isSuppressed = (phone: string, account: string): string =>
  `(EXISTS (SELECT 1 FROM suppressions s WHERE s.account_id IS NULL AND s.phone_number = ${phone})
    OR EXISTS (SELECT 1 FROM suppressions s WHERE s.account_id = ${account} AND s.phone_number = ${phone}))`;

/**
 * Which of the numbers $1 (E.164) are suppressed for the account $2: one probe per number and
 * partial index.
 */
export const SUPPRESSED_AMONG = `
  SELECT phone_number FROM suppressions WHERE account_id IS NULL AND phone_number = ANY($1::text[])
  UNION
  SELECT phone_number FROM suppressions WHERE account_id = $2 AND phone_number = ANY($1::text[])`;

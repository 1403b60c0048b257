// The SQL of consent that the statement writing send results runs in its own transaction
// (src/batch/dispatch/dispatch.repository.ts, writeResults): the contacts the accepted messages
// make, and the suppressions a provider's "recipient opted out" adds.

/**
 * A data-modifying CTE named `contacts_written` that records, per account and number of CTE `sent`
 * (account_id, phone_number, provider, sent_at), the provider and sender of its newest send;
 * `senders` is an SQL expression of the JSON object naming each provider's sender
 * (ProviderSenders.json). One row per account and number (two batches of one account may send to
 * one number in one write, and ON CONFLICT DO UPDATE must not meet a row twice), upserted in key
 * order, the one lock order of every writer. A send older than the recorded one (a late result)
 * changes nothing.
 */
export function recordContacts(sent: string, senders: string): string {
  return `
  contacts_written AS (
    INSERT INTO contacts AS c (account_id, phone_number, provider, sender, last_sent_at)
    SELECT DISTINCT ON (account_id, phone_number)
           account_id, phone_number, provider, COALESCE(${senders} ->> provider, provider), sent_at
    FROM ${sent}
    ORDER BY account_id, phone_number, sent_at DESC
    ON CONFLICT (account_id, phone_number) DO UPDATE
      SET provider = EXCLUDED.provider, sender = EXCLUDED.sender,
          last_sent_at = EXCLUDED.last_sent_at
      WHERE c.last_sent_at <= EXCLUDED.last_sent_at
  )`;
}

/**
 * A data-modifying CTE named `provider_opt_outs_added` that suppresses for every account the
 * numbers of CTE `optedOut` (id, phone_number, code): a provider answered that the recipient opted
 * out (isProviderOptOut), and the entry's source is its code. A number suppressed already keeps
 * its entry. Inserted in number order, the one lock order of every writer.
 */
export function addProviderOptOuts(optedOut: string): string {
  return `
  provider_opt_outs_added AS (
    INSERT INTO suppressions (id, phone_number, account_id, scope, reason, source)
    SELECT DISTINCT ON (phone_number) id, phone_number, NULL, 'deployment', 'provider_opt_out', code
    FROM ${optedOut}
    ORDER BY phone_number, id
    ON CONFLICT (phone_number) WHERE account_id IS NULL DO NOTHING
  )`;
}

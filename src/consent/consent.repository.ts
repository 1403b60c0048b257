// The SQL of consent for inbound messages: who a message is attributed to (contacts) and what its
// keyword does to the deployment-wide suppressions. Contacts are written with send results
// (src/batch/dispatch/dispatch.repository.ts, writeResults).
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { uuidV7s } from '../common/uuid-v7';
import { queryRows } from '../database/query-rows';
import { MESSAGING_SERVICE_PATTERN } from './provider-senders';
import { LIFTED_BY_OPT_IN } from './suppression.entity';

@Injectable()
export class ConsentRepository {
  /**
   * The account that last sent to `phoneNumber` from `sender` through `provider`. A Messaging
   * Service's messages come from a pool of numbers, so a handset writes to a number that is not
   * the recorded sender: a contact whose sender is a Messaging Service of that provider matches
   * any `sender`, after the exact ones. Null when no account sent to the number that way.
   */
  async attribute(
    manager: EntityManager,
    { phoneNumber, provider, sender }: { phoneNumber: string; provider: string; sender: string },
  ): Promise<string | null> {
    const [row] = await queryRows<{ accountId: string }>(
      manager,
      `SELECT account_id AS "accountId" FROM contacts
       WHERE phone_number = $1 AND provider = $2 AND (sender = $3 OR sender ~ $4)
       ORDER BY sender = $3 DESC, last_sent_at DESC
       LIMIT 1`,
      [phoneNumber, provider, sender, MESSAGING_SERVICE_PATTERN],
    );
    return row?.accountId ?? null;
  }

  /**
   * Suppresses the number for every account because it wrote an opt-out keyword; an entry that
   * exists already (another STOP, a provider's opt-out) stays as it is. True when one was added.
   */
  async optOut(manager: EntityManager, phoneNumber: string, inboundId: string): Promise<boolean> {
    const rows = await queryRows<unknown>(
      manager,
      `INSERT INTO suppressions (id, phone_number, account_id, scope, reason, source)
       VALUES ($1, $2, NULL, 'deployment', 'stop_reply', $3)
       ON CONFLICT (phone_number) WHERE account_id IS NULL DO NOTHING
       RETURNING id`,
      [uuidV7s(1)[0], phoneNumber, inboundId],
    );
    return rows.length === 1;
  }

  /**
   * Lifts the number's deployment-wide entries that an opt-in keyword undoes (a STOP, a
   * provider's opt-out); an account's manual and imported entries stay. Answers how many.
   */
  async optIn(manager: EntityManager, phoneNumber: string): Promise<number> {
    const rows = await queryRows<unknown>(
      manager,
      `DELETE FROM suppressions
       WHERE phone_number = $1 AND account_id IS NULL AND reason = ANY($2)
       RETURNING id`,
      [phoneNumber, LIFTED_BY_OPT_IN],
    );
    return rows.length;
  }
}

// The inbound_messages table: every SMS a provider forwarded to Salvo, once per provider message id.
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import type { InboundSms } from '../sms/receipts';
import type { InboundAction, ReplyStatus } from './inbound-message.entity';

/** What Salvo made of an inbound message, stored with it (src/consent/). */
export interface InboundOutcome {
  accountId: string | null;
  action: InboundAction;
  replyStatus: ReplyStatus | null;
}

const NO_OUTCOME: InboundOutcome = { accountId: null, action: 'none', replyStatus: null };

@Injectable()
export class InboundRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores the message unless the provider's id is already stored (a provider retrying its
   * webhook stores nothing twice). Resolves once the row is committed: true when it was new.
   */
  async store(sms: InboundSms): Promise<boolean> {
    return (await this.insert(this.dataSource.manager, sms, NO_OUTCOME)) !== null;
  }

  /**
   * Inserts the message with its outcome in the caller's transaction: its id when it is new,
   * null when the provider's id was stored already (nothing is changed then).
   */
  async insert(
    manager: EntityManager,
    sms: InboundSms,
    outcome: InboundOutcome,
  ): Promise<string | null> {
    const rows = await queryRows<{ id: string }>(
      manager,
      `INSERT INTO inbound_messages (provider, provider_message_id, from_number, to_number, body,
                                     received_at, account_id, action, reply_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (provider, provider_message_id) DO NOTHING
       RETURNING id`,
      [
        sms.provider,
        sms.providerMessageId,
        sms.from,
        sms.to,
        sms.body,
        sms.receivedAt,
        outcome.accountId,
        outcome.action,
        outcome.replyStatus,
      ],
    );
    return rows[0]?.id ?? null;
  }
}

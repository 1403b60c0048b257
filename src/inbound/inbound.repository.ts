// The inbound_messages table: every SMS a provider forwarded to Salvo, once per provider message id.
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/query-rows';
import type { InboundRecorder, InboundSms } from '../sms/receipts';

@Injectable()
export class InboundRepository implements InboundRecorder {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores the message unless the provider's id is already stored (a provider retrying its
   * webhook stores nothing twice). Resolves once the row is committed: true when it was new.
   */
  async store(sms: InboundSms): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource.manager,
      `INSERT INTO inbound_messages (provider, provider_message_id, from_number, to_number, body, received_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (provider, provider_message_id) DO NOTHING
       RETURNING id`,
      [sms.provider, sms.providerMessageId, sms.from, sms.to, sms.body, sms.receivedAt],
    );
    return rows.length === 1;
  }
}

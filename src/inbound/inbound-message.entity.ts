import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * An SMS received through a provider's inbound webhook, stored once per provider message id
 * however often the provider retries it. The consent rules (opt-out keywords) act on these.
 */
@Entity('inbound_messages')
@Unique('inbound_messages_provider_message_key', ['provider', 'providerMessageId'])
export class InboundMessageEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  provider: string;

  @Column('text', { name: 'provider_message_id' })
  providerMessageId: string;

  /** E.164 as the provider gave it. */
  @Column('text', { name: 'from_number' })
  from: string;

  @Column('text', { name: 'to_number' })
  to: string;

  @Column('text')
  body: string;

  @Column('timestamptz', { name: 'received_at', default: () => 'now()' })
  receivedAt: Date;
}

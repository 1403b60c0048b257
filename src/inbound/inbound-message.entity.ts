import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { isOneOf } from '../database/check-sql';

/** What Salvo did with an inbound message: the keyword it matched (consent), or nothing. */
export const INBOUND_ACTIONS = ['opt_out', 'opt_in', 'help', 'none'] as const;
export type InboundAction = (typeof INBOUND_ACTIONS)[number];

/** Where the answer to a HELP keyword stands (HELP_REPLY_TEXT); null when none is sent. */
export const REPLY_STATUSES = ['queued', 'sent', 'failed'] as const;
export type ReplyStatus = (typeof REPLY_STATUSES)[number];

/**
 * An SMS received through a provider's inbound webhook, stored once per provider message id
 * however often the provider retries it. The consent rules (opt-out keywords) act on these.
 */
@Entity('inbound_messages')
@Unique('inbound_messages_provider_message_key', ['provider', 'providerMessageId'])
@Check('inbound_messages_action_check', isOneOf('action', INBOUND_ACTIONS))
@Check('inbound_messages_reply_status_check', isOneOf('reply_status', REPLY_STATUSES))
@Index('inbound_messages_account_idx', ['accountId', 'receivedAt', 'id'])
// Whether a number was answered HELP from a sender lately (InboundConsentService).
@Index('inbound_messages_sender_idx', ['from', 'to', 'receivedAt'])
// The replies the workers' sweep queues again (help-reply.service.ts): few, and found without a scan.
@Index('inbound_messages_reply_queued_idx', ['receivedAt'], { where: "reply_status = 'queued'" })
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

  /**
   * The account that last sent to this number from the sender it wrote to (contacts); null when
   * none did. Only that account sees the message.
   */
  @Column('uuid', { name: 'account_id', nullable: true })
  accountId: string | null;

  @Column('text', { default: 'none' })
  action: InboundAction;

  @Column('text', { name: 'reply_status', nullable: true })
  replyStatus: ReplyStatus | null;

  @Column('text', { name: 'reply_provider_message_id', nullable: true })
  replyProviderMessageId: string | null;

  /** Why the reply could not be sent (the provider's code and message). */
  @Column('text', { name: 'reply_error', nullable: true })
  replyError: string | null;
}

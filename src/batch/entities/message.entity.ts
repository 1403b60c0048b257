import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ErrorCategory } from '../../errors/error-taxonomy';

export const MESSAGE_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface MessageError {
  category: ErrorCategory;
  code: string;
  message: string;
}

/**
 * One recipient of a batch. Rows are written in bulk by the ingest (never through the ORM) and
 * read here for the message log. `seq` is the recipient's position in the batch after duplicates
 * were dropped: the log's order and the dispatcher's keyset.
 */
@Entity('messages')
export class MessageEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @PrimaryColumn('integer')
  seq: number;

  /** The public id, also the idempotency key the provider sees. */
  @Column('uuid')
  id: string;

  @Column('text', { name: 'phone_number' })
  phoneNumber: string;

  /** Only the variables the template uses; the text is rendered at send time. */
  @Column('json')
  variables: Record<string, string>;

  @Column('text')
  status: MessageStatus;

  @Column('integer')
  attempts: number;

  @Column('smallint')
  segments: number;

  @Column('timestamptz', { name: 'sent_at', nullable: true })
  sentAt: Date | null;

  @Column('text', { name: 'provider_message_id', nullable: true })
  providerMessageId: string | null;

  @Column('jsonb', { name: 'last_error', nullable: true })
  lastError: MessageError | null;
}

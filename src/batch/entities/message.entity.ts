import { Check, Column, Entity, PrimaryColumn } from 'typeorm';
import { isOneOf } from '../../database/check-sql';
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
 *
 * The migration owns the table's fillfactor (80, room for HOT updates of status): TypeORM neither
 * declares nor compares storage parameters. batch_id has no foreign key on purpose (the
 * InitialSchema migration says why).
 */
@Entity('messages')
@Check('messages_status_check', isOneOf('status', MESSAGE_STATUSES))
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

  @Column('integer', { default: 0 })
  attempts: number;

  @Column('smallint')
  segments: number;

  @Column('timestamptz', { name: 'sent_at', nullable: true })
  sentAt: Date | null;

  @Column('text', { name: 'provider_message_id', nullable: true })
  providerMessageId: string | null;

  @Column('jsonb', { name: 'last_error', nullable: true })
  lastError: MessageError | null;

  // Dispatch's own state below, read and written only by its SQL: the message log leaves it out
  // (select: false), so it is absent from loaded entities.

  /** Grows with every claim; a result write holding an older token changes nothing. */
  @Column('integer', { name: 'claim_token', default: 0, select: false })
  claimToken?: number;

  @Column('timestamptz', { name: 'claimed_until', nullable: true, select: false })
  claimedUntil?: Date | null;

  /** When a pending message that failed may be tried again; null: now. */
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true, select: false })
  nextAttemptAt?: Date | null;

  /** The categories it has failed in, so the error summary counts distinct messages. */
  @Column('text', { name: 'failed_categories', array: true, nullable: true, select: false })
  failedCategories?: ErrorCategory[] | null;
}

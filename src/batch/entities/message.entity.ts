import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isOneOf } from '../../database/check-sql';
import type { SmsProviderName } from '../../config/configuration';
import type { ErrorCategory } from '../../errors/error-taxonomy';

export const MESSAGE_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * What became of an accepted message, from the provider's receipts: `awaiting` until a final
 * receipt, `unknown` when none came within DELIVERY_RECEIPT_TIMEOUT_HOURS (a later one still
 * applies). Null while the message is not accepted.
 */
export const DELIVERY_STATUSES = ['awaiting', 'delivered', 'undelivered', 'unknown'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * How an adapter settled a call whose outcome was unknown (sms-provider.ts, `Resolution`), as the
 * message log shows it.
 */
export interface MessageResolution {
  method: string;
  outcome: string;
  detail: string;
  at: string;
}

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
@Check('messages_delivery_status_check', isOneOf('delivery_status', DELIVERY_STATUSES))
// Receipts find their message by the provider's id. Rows not yet accepted have none and stay out
// of the index, so a claim (which changes only status and the claim columns) stays a HOT update.
@Index('messages_provider_message_id_idx', ['providerMessageId'], {
  where: 'provider_message_id IS NOT NULL',
})
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

  /**
   * The provider of the message's last call (SMS_PROVIDER's name: simulated, twilio, smpp); null
   * before any call reached one.
   */
  @Column('text', { nullable: true })
  provider: SmsProviderName | null;

  /**
   * The providers of its route in order (routes.ts, routeKey), decided from its number at ingest;
   * null for messages written before routes existed.
   */
  @Column('text', { nullable: true })
  route: string | null;

  /**
   * Its zone key (batch/windows/send-window.ts): the time zones whose send window it waits for,
   * decided at ingest; null when its batch has no send window.
   */
  @Column('text', { name: 'send_zone', nullable: true })
  sendZone: string | null;

  /** Set while its next call must go to this provider: an earlier call there may have been accepted. */
  @Column('text', { name: 'pinned_provider', nullable: true })
  pinnedProvider: SmsProviderName | null;

  /** The provider its current (or last) claim calls. */
  @Column('text', { name: 'claim_provider', nullable: true })
  claimProvider: SmsProviderName | null;

  @Column('text', { name: 'provider_message_id', nullable: true })
  providerMessageId: string | null;

  @Column('jsonb', { name: 'last_error', nullable: true })
  lastError: MessageError | null;

  @Column('text', { name: 'delivery_status', nullable: true })
  deliveryStatus: DeliveryStatus | null;

  /** The provider's latest status by rank (e.g. Twilio's `sent`, `delivered`); never moves down. */
  @Column('text', { name: 'provider_status', nullable: true })
  providerStatus: string | null;

  /** The rank of providerStatus (sms/receipts.ts, RECEIPT_RANKS): what a later receipt must beat. */
  @Column('smallint', { name: 'receipt_rank', nullable: true, select: false })
  receiptRank?: number | null;

  /** When the final receipt (delivered or undelivered) came. */
  @Column('timestamptz', { name: 'receipt_at', nullable: true })
  receiptAt: Date | null;

  /** Why it was not delivered, from the final receipt. */
  @Column('jsonb', { name: 'delivery_error', nullable: true })
  deliveryError: MessageError | null;

  /** How an unknown outcome of a call was resolved (lookup, replay), when one was. */
  @Column('jsonb', { nullable: true })
  resolution: MessageResolution | null;

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

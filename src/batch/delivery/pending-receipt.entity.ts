import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isOneOf } from '../../database/check-sql';
import { RECEIPT_OUTCOMES } from './message-part.entity';

/**
 * A receipt that arrived before the send result holding its provider message id was written
 * (a provider may call back within milliseconds). Kept until `expires_at`
 * (RECEIPT_ORPHAN_TTL_HOURS) and applied when the result is written. SQL only.
 */
@Entity('pending_receipts')
@Index('pending_receipts_expires_at_idx', ['expiresAt'])
@Check('pending_receipts_outcome_check', isOneOf('outcome', RECEIPT_OUTCOMES))
export class PendingReceiptEntity {
  /** First in the key: receipts are looked up by provider message id (= ANY($1)). */
  @PrimaryColumn('text', { name: 'provider_message_id' })
  providerMessageId: string;

  @PrimaryColumn('text')
  provider: string;

  /** The provider's status, as the receipt named it. */
  @PrimaryColumn('text')
  status: string;

  /** The rank the adapter gave the status (sms/receipts.ts, RECEIPT_RANKS). */
  @Column('smallint', { default: 1 })
  rank: number;

  /** For a final receipt: delivered, undelivered, or unknown (the provider does not know). */
  @Column('text', { nullable: true })
  outcome: 'delivered' | 'undelivered' | 'unknown' | null;

  @Column('text', { name: 'error_code', nullable: true })
  errorCode: string | null;

  @Column('text', { name: 'error_message', nullable: true })
  errorMessage: string | null;

  @Column('text', { nullable: true })
  category: string | null;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  /** When it was stored: the sweep leaves the newest to the process applying them. */
  @Column('timestamptz', { name: 'kept_at', default: () => 'now()' })
  keptAt: Date;
}

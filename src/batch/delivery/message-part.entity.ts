import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { isOneOf } from '../../database/check-sql';
import { MessageEntity, type MessageError } from '../entities/message.entity';

/** What a final receipt says became of a message or part (sms/receipts.ts, `outcome`). */
export const RECEIPT_OUTCOMES = ['delivered', 'undelivered', 'unknown'] as const;

/**
 * One part of a long message the provider took as several (sms-provider.ts, `MessageParts`),
 * with the latest receipt of that part: the message's own receipt is derived from all its parts
 * (receipts.repository.ts). Written by dispatch's result write, moved by receipts. SQL only.
 */
@Entity('message_parts')
@Index('message_parts_provider_message_id_idx', ['providerMessageId', 'provider'])
@Check('message_parts_outcome_check', isOneOf('outcome', RECEIPT_OUTCOMES))
export class MessagePartEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @PrimaryColumn('integer')
  seq: number;

  /** Receipts find their part by it (indexed, not unique: SMSCs reuse ids). */
  @Column('text', { name: 'provider_message_id' })
  providerMessageId: string;

  /** In the key: a message that moved to another provider may have a part 1 with each. */
  @PrimaryColumn('text')
  provider: string;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn([
    {
      name: 'batch_id',
      referencedColumnName: 'batchId',
      foreignKeyConstraintName: 'message_parts_message_fkey',
    },
    { name: 'seq', referencedColumnName: 'seq' },
  ])
  message?: MessageEntity;

  /** 1-based. */
  @PrimaryColumn('smallint')
  part: number;

  @Column('smallint')
  total: number;

  /** The concatenation reference every part of the message carries. */
  @Column('smallint')
  reference: number;

  /** The provider's word of the part's latest receipt by rank. */
  @Column('text', { nullable: true })
  status: string | null;

  /** The rank of `status` (sms/receipts.ts, RECEIPT_RANKS). */
  @Column('smallint', { nullable: true })
  rank: number | null;

  /** For a final receipt: what became of the part. */
  @Column('text', { nullable: true })
  outcome: (typeof RECEIPT_OUTCOMES)[number] | null;

  /** Why the part was not delivered. */
  @Column('jsonb', { nullable: true })
  error: MessageError | null;

  /** When the receipt in `status` came. */
  @Column('timestamptz', { name: 'received_at', nullable: true })
  receivedAt: Date | null;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ErrorCategory } from '../error-taxonomy';

/**
 * A batch's failures in one category, kept up to date in the transaction that logs them, so a
 * read never aggregates the log. SQL only (error-log.sql.ts); bigint comes back as text.
 */
@Entity('batch_error_categories')
export class BatchErrorCategoryEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @PrimaryColumn('text')
  category: ErrorCategory;

  /** Failed attempts. */
  @Column('bigint')
  count: string;

  /** Distinct messages that failed in it. */
  @Column('bigint')
  messages: string;

  /** Of `count`, the entries from delivery receipts (stage `delivery`): never requeued. */
  @Column('bigint', { name: 'delivery_count', default: 0 })
  deliveryCount: string;

  @Column('text')
  example: string;

  @Column('timestamptz', { name: 'first_at' })
  firstAt: Date;

  @Column('timestamptz', { name: 'last_at' })
  lastAt: Date;
}

import { Check, Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { isOneOf } from '../../database/check-sql';
import type { ErrorCategory } from '../error-taxonomy';

/** `send`: the provider refused the call; `delivery`: a receipt said undelivered. */
export const ERROR_STAGES = ['send', 'delivery'] as const;
export type ErrorStage = (typeof ERROR_STAGES)[number];

/**
 * One failed attempt of a message. Written in bulk by the statements that fail messages
 * (error-log.sql.ts) and read by SQL only; the entity states the table's shape. No foreign key:
 * like messages, the rows are written in bulk and go with their batch.
 */
@Entity('message_errors')
@Check('message_errors_stage_check', isOneOf('stage', ERROR_STAGES))
// With the primary key, the errors endpoint's three reads (all, by category, by code) are index
// range scans however large the batch.
@Index('message_errors_category_idx', ['batchId', 'category', 'id'])
@Index('message_errors_code_idx', ['batchId', 'code', 'id'])
export class MessageErrorEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  /** Orders the log (newest first on reads). bigint comes back as text. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column('integer')
  seq: number;

  @Column('integer')
  attempt: number;

  @Column('text')
  category: ErrorCategory;

  @Column('text')
  code: string;

  @Column('text')
  message: string;

  @Column('boolean')
  retried: boolean;

  @Column('timestamptz')
  at: Date;

  @Column('text', { default: 'send' })
  stage: ErrorStage;
}

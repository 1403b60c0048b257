import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ErrorCategory } from '../error-taxonomy';

/** Failed attempts of a batch per category and code. SQL only (error-log.sql.ts). */
@Entity('batch_error_codes')
export class BatchErrorCodeEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @PrimaryColumn('text')
  category: ErrorCategory;

  @PrimaryColumn('text')
  code: string;

  /** bigint comes back as text. */
  @Column('bigint')
  count: string;
}

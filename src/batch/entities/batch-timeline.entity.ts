import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What GET /api/batch/:id/analytics reads as its timeline, aggregated as results are written so a
 * read never touches messages. SQL only (the analytics SQL); `sent` and `failed` move with the
 * batch counters, so their sums equal them.
 */
@Entity('batch_timeline')
export class BatchTimelineEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  /** Bucket width in seconds: 1 or 10. */
  @PrimaryColumn('smallint')
  resolution: number;

  /** The bucket's start. */
  @PrimaryColumn('timestamptz')
  t: Date;

  @Column('integer')
  sent: number;

  @Column('integer')
  failed: number;

  @Column('integer')
  throttled: number;

  /** Final receipts, by the time they came. */
  @Column('integer', { default: 0 })
  delivered: number;

  @Column('integer', { default: 0 })
  undelivered: number;
}

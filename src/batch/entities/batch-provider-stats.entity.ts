import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A batch's sends, final failures, receipts and latency at one provider, for GET
 * /api/batch/:id/analytics. SQL only (the analytics SQL); bigint comes back as text.
 */
@Entity('batch_provider_stats')
export class BatchProviderStatsEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @PrimaryColumn('text')
  provider: string;

  /** Messages its answers accepted. */
  @Column('bigint', { default: 0 })
  sent: string;

  /** Messages its answers failed for good (not retried). */
  @Column('bigint', { default: 0 })
  failed: string;

  @Column('bigint', { default: 0 })
  delivered: string;

  @Column('bigint', { default: 0 })
  undelivered: string;

  /** Counts per bucket of the analytics histogram; empty until the provider's first call. */
  @Column('bigint', { name: 'latency_histogram', array: true, default: () => "'{}'" })
  latencyHistogram: string[];
}

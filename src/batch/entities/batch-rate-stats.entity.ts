import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ProviderRateLimit } from '../../sms/sms-provider';

/**
 * A batch's provider calls and limiter, for GET /api/batch/:id/analytics: counts, the last
 * signals, and histograms of the limiter's wait and the provider's latency. SQL only (the
 * analytics SQL); bigint comes back as text.
 */
@Entity('batch_rate_stats')
export class BatchRateStatsEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @Column('bigint', { name: 'throttle_events', default: 0 })
  throttleEvents: string;

  @Column('bigint', { name: 'paused_ms', default: 0 })
  pausedMs: string;

  @Column('integer', { name: 'last_retry_after_ms', nullable: true })
  lastRetryAfterMs: number | null;

  @Column('jsonb', { name: 'last_rate_limit', nullable: true })
  lastRateLimit: ProviderRateLimit | null;

  @Column('integer', { name: 'wait_max_ms', default: 0 })
  waitMaxMs: number;

  /** Counts per bucket of the analytics histogram. */
  @Column('bigint', { name: 'wait_histogram', array: true })
  waitHistogram: string[];

  @Column('bigint', { name: 'latency_histogram', array: true })
  latencyHistogram: string[];

  /** Acceptance to final receipt; empty until the first final receipt. */
  @Column('bigint', { name: 'delivery_latency_histogram', array: true, default: () => "'{}'" })
  deliveryLatencyHistogram: string[];
}

import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export const BATCH_STATUSES = [
  'pending',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

const bigintAsNumber = {
  to: (v: number) => v,
  from: (v: string | null) => (v === null ? 0 : Number(v)),
};

/**
 * A campaign. Its counters are the source of `progress`: they move only in the transaction that
 * changes the message states they count, so a read never scans messages.
 */
@Entity('batches')
export class BatchEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'account_id' })
  accountId: string;

  @Column('text')
  text: string;

  /** The template's variables, in order of first appearance. */
  @Column('text', { array: true })
  variables: string[];

  @Column('text')
  priority: Priority;

  @Column('text')
  status: BatchStatus;

  @Column('boolean', { name: 'auto_start' })
  autoStart: boolean;

  @Column('timestamptz', { name: 'schedule_time', nullable: true })
  scheduleTime: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { name: 'completed_at', nullable: true })
  completedAt: Date | null;

  @Column('text', { name: 'pause_reason', nullable: true })
  pauseReason: string | null;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason: string | null;

  @Column('integer')
  total: number;

  @Column('integer', { name: 'pending_count' })
  pendingCount: number;

  @Column('integer', { name: 'completed_count' })
  completedCount: number;

  @Column('integer', { name: 'failed_count' })
  failedCount: number;

  @Column('integer', { name: 'cancelled_count' })
  cancelledCount: number;

  @Column('bigint', { transformer: bigintAsNumber })
  segments: number;

  @Column('text', { array: true })
  encodings: string[];

  /** Bumped whenever dispatch is (re)queued; part of every chunk job id. */
  @Column('integer')
  generation: number;

  /** Time spent processing before the current stretch (pauses excluded). */
  @Column('bigint', { name: 'processing_ms', transformer: bigintAsNumber })
  processingMs: number;

  /**
   * Whether its messages were counted against the daily quota: set when it first becomes
   * sendable; false for a pending batch and one the quota paused at its scheduled start.
   */
  @Column('boolean', { name: 'quota_taken' })
  quotaTaken: boolean;

  /** When the current stretch of processing began; null unless processing. */
  @Column('timestamptz', { name: 'resumed_at', nullable: true })
  resumedAt: Date | null;
}

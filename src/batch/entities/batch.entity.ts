import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { isOneOf } from '../../database/check-sql';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';
import type { SendWindow } from '../../config/send-window';

export const BATCH_STATUSES = [
  'pending',
  'processing',
  'paused',
  'completed',
  'failed',
  'cancelled',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

const bigintAsNumber = {
  to: (v: number) => v,
  from: (v: string | null) => (v === null ? 0 : Number(v)),
};

/**
 * A campaign. Its counters are the source of `progress`: they move only in the transaction that
 * changes the message states they count, so a read never scans messages.
 */
@Entity('batches')
@Check('batches_priority_check', isOneOf('priority', PRIORITIES))
@Check('batches_status_check', isOneOf('status', BATCH_STATUSES))
@Check(
  'batches_counters_add_up',
  'total = pending_count + completed_count + failed_count + cancelled_count',
)
// (account_id, created_at DESC, id DESC): newest first per account, id the tie-breaker of the
// list's keyset cursor. TypeORM cannot declare a column's order, so the migration owns this index
// and TypeORM leaves it alone (synchronize: false).
@Check(
  'batches_delivery_within_completed',
  'delivered_count + undelivered_count + delivery_unknown_count <= completed_count',
)
@Index('batches_account_created_idx', { synchronize: false })
@Index('batches_status_idx', ['status'], { where: "status IN ('pending', 'processing')" })
export class BatchEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column('uuid', { name: 'account_id' })
  @ForeignKey('accounts', { name: 'batches_account_id_fkey', onDelete: 'CASCADE' })
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

  @Column('integer', { name: 'completed_count', default: 0 })
  completedCount: number;

  @Column('integer', { name: 'failed_count', default: 0 })
  failedCount: number;

  @Column('integer', { name: 'cancelled_count', default: 0 })
  cancelledCount: number;

  @Column('bigint', { transformer: bigintAsNumber })
  segments: number;

  // Delivery: of the accepted (completed) messages, those whose final receipt said delivered or
  // undelivered, and those that got none in time; the rest are awaiting. They move with the
  // messages' delivery_status, in the same statements.

  @Column('integer', { name: 'delivered_count', default: 0 })
  deliveredCount: number;

  @Column('integer', { name: 'undelivered_count', default: 0 })
  undeliveredCount: number;

  @Column('integer', { name: 'delivery_unknown_count', default: 0 })
  deliveryUnknownCount: number;

  @Column('text', { array: true })
  encodings: string[];

  /** The distinct routes of its messages (routes.ts, routeKey); empty for batches before routes. */
  @Column('text', { array: true, default: () => "'{}'" })
  routes: string[];

  /** Its send window (options.sendWindow or DEFAULT_SEND_WINDOW); null: any time. */
  @Column('jsonb', { name: 'send_window', nullable: true })
  sendWindow: SendWindow | null;

  /** The distinct zone keys of its messages (batch/windows/send-window.ts); empty without a window. */
  @Column('text', { name: 'send_zones', array: true, default: () => "'{}'" })
  sendZones: string[];

  /** Unsent messages whose window is closed, as the reconciler last counted them. */
  @Column('integer', { name: 'outside_window', default: 0 })
  outsideWindow: number;

  /** When the first of those windows opens; null when none waits. */
  @Column('timestamptz', { name: 'next_window_at', nullable: true })
  nextWindowAt: Date | null;

  /** Bumped whenever dispatch is (re)queued; part of every chunk job id. */
  @Column('integer', { default: 0 })
  generation: number;

  /** Time spent processing before the current stretch (pauses excluded). */
  @Column('bigint', { name: 'processing_ms', default: 0, transformer: bigintAsNumber })
  processingMs: number;

  /**
   * Whether its messages were counted against the daily quota: set when it first becomes
   * sendable; false for a pending batch and one the quota paused at its scheduled start.
   */
  @Column('boolean', { name: 'quota_taken', default: true })
  quotaTaken: boolean;

  /** When the current stretch of processing began; null unless processing. */
  @Column('timestamptz', { name: 'resumed_at', nullable: true })
  resumedAt: Date | null;

  // Dispatch's own state below, read and written only by its SQL: reads of a batch leave it out
  // (select: false), so it is absent from loaded entities.

  /**
   * The error-rate guard's window: the outcomes of the last attempts, '1' failed and '0'
   * accepted, oldest first.
   */
  @Column('text', { name: 'error_window', default: '', select: false })
  errorWindow?: string;

  /** Restarts the clock of MESSAGE_VALIDITY_SECONDS when retry-failed reopens; null: started_at. */
  @Column('timestamptz', { name: 'valid_from', nullable: true, select: false })
  validFrom?: Date | null;

  /** Segments of the accepted messages, for the batch's analytics. */
  @Column('bigint', {
    name: 'segments_sent',
    default: 0,
    select: false,
    transformer: bigintAsNumber,
  })
  segmentsSent?: number;
}

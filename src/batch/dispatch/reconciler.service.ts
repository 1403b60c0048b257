import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { ADVISORY_LOCKS } from '../../database/database-setup';
import { queryRows } from '../../database/query-rows';
import { DispatchProducer, type QueueableBatch } from './dispatch.producer';
import { DispatchRepository } from './dispatch.repository';

/**
 * Invariant 1 of DESIGN.md: PostgreSQL is the truth, Redis only transport. Every
 * RECONCILE_INTERVAL_MS one worker (an advisory lock picks it) starts scheduled batches whose time
 * has come, and re-queues processing batches with pending messages of which Redis holds no job (a
 * flushed Redis, jobs that failed for good). Messages whose claim expired are taken again by the
 * re-queued chunks.
 */
@Injectable()
export class Reconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Reconciler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: DispatchProducer,
    private readonly repository: DispatchRepository,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.reconcile()
        .then(() => undefined)
        .catch((error: Error) =>
          this.logger.error(`Reconcile failed: ${error.message}`, error.stack),
        )
        .finally(() => {
          if (this.timer) this.schedule(this.config.reconcileIntervalMs);
        });
    }, delayMs);
  }

  /** One pass; returns the batches it queued. */
  async reconcile(): Promise<QueueableBatch[]> {
    const queued: { batch: QueueableBatch; from: number }[] = [];
    await this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<{ locked: boolean }[]>(
        `SELECT pg_try_advisory_xact_lock($1) AS locked`,
        [ADVISORY_LOCKS.reconcile],
      );
      if (!locked) return;

      // Batch rows are locked in id order, as every writer of batches does.
      const due = await manager.query<{ id: string }[]>(
        `SELECT id FROM batches WHERE status = 'pending' AND auto_start AND schedule_time <= now()
         ORDER BY id FOR UPDATE`,
      );
      const started = await queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET status = 'processing', started_at = now(), resumed_at = now(),
           generation = generation + 1
         WHERE id = ANY($1) RETURNING id, priority, total, generation`,
        [due.map((b) => b.id)],
      );
      queued.push(...started.map((batch) => ({ batch, from: 0 })));

      const withJobs = await this.producer.batchesWithJobs();
      // A batch started a moment ago may not have its jobs in Redis yet: give it one interval.
      const stranded = await manager.query<{ id: string }[]>(
        `SELECT id FROM batches
         WHERE status = 'processing' AND pending_count > 0 AND NOT (id = ANY($1))
           AND COALESCE(resumed_at, started_at) < now() - make_interval(secs => $2::double precision / 1000)
         ORDER BY id FOR UPDATE`,
        [[...withJobs], this.config.reconcileIntervalMs],
      );
      const requeued = await queryRows<QueueableBatch>(
        manager,
        `UPDATE batches SET generation = generation + 1 WHERE id = ANY($1)
         RETURNING id, priority, total, generation`,
        [stranded.map((b) => b.id)],
      );
      for (const batch of requeued) {
        const from = await this.repository.firstUnfinished(manager, batch.id);
        if (from !== null) queued.push({ batch, from });
      }

      // A cancelled batch whose worker died mid-send would keep those messages pending forever.
      const cancelled = await manager.query<{ id: string }[]>(
        `SELECT id FROM batches WHERE status = 'cancelled' AND pending_count > 0 ORDER BY id`,
      );
      for (const { id } of cancelled) await this.repository.cancelExpiredClaims(manager, id);
    });
    for (const { batch, from } of queued) await this.producer.enqueue(batch, from);
    if (queued.length) this.logger.log(`Queued dispatch of ${queued.length} batch(es)`);
    return queued.map((q) => q.batch);
  }
}

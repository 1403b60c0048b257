import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import Redis from 'ioredis';
import {
  dispatchConfig,
  redisConfig,
  retryConfig,
  type DispatchConfig,
  type RedisConfig,
  type RetryConfig,
} from '../../config/configuration';
import { REDIS, redisKey } from '../../redis/redis.module';
import { BatchEntity, type BatchStatus } from '../entities/batch.entity';
import { ADVISORY_LOCKS } from '../../database/database-setup';
import { queryRows } from '../../database/query-rows';
import type { BatchRef } from '../../monitoring/events/batch-events';
import { BatchEvents } from '../../monitoring/events/batch-events.service';
import { quotaPauseReason } from '../../quota/daily-quota';
import { QuotaService } from '../../quota/quota.service';
import { validFrom } from '../batch-sql';
import { BatchService } from '../batch.service';
import { DispatchProducer, type QueueableBatch } from './dispatch.producer';
import { DispatchRepository } from './dispatch.repository';

/**
 * Invariant 1 of DESIGN.md: PostgreSQL is the truth, Redis only transport. Every
 * RECONCILE_INTERVAL_MS one worker (an advisory lock picks it) starts scheduled batches whose time
 * has come, re-queues processing batches with pending messages of which Redis holds no job (jobs
 * that failed for good), or all of them when Redis lost its data, cancels the expired claims of
 * cancelled batches, and fails the messages of batches past MESSAGE_VALIDITY_SECONDS. Messages whose claim expired are taken again by the re-queued chunks.
 * A scheduled batch takes its daily quota as it starts; one the quota cannot take is paused
 * instead, saying so, and takes it when resumed.
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
    private readonly batchService: BatchService,
    private readonly events: BatchEvents,
    private readonly quotas: QuotaService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
    @Inject(retryConfig.KEY) private readonly retry: RetryConfig,
    @Inject(redisConfig.KEY) redisSettings: RedisConfig,
  ) {
    this.sentinelKey = redisKey(redisSettings, 'reconciler', 'sentinel');
  }

  /** A key that only a loss of Redis's data removes. */
  private readonly sentinelKey: string;

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
    // Redis first, before any lock: which batches it holds jobs of, and whether it lost its data
    // (then every processing batch is queued afresh, whatever jobs reappeared meanwhile).
    const redisLost = (await this.redis.exists(this.sentinelKey)) === 0;
    const withJobs = redisLost ? new Set<string>() : await this.producer.batchesWithJobs();
    const queued: { batch: QueueableBatch; from: number }[] = [];
    const expiring: BatchRef[] = [];
    const started: BatchEntity[] = [];
    const pausedByQuota: BatchEntity[] = [];
    const cancelledClaims: BatchRef[] = [];
    await this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<{ locked: boolean }[]>(
        `SELECT pg_try_advisory_xact_lock($1) AS locked`,
        [ADVISORY_LOCKS.reconcile],
      );
      if (!locked) return;
      // Every batch this pass touches, locked at once in id order, as every writer of batches does.
      // A batch (re)started less than an interval ago may not have its jobs in Redis yet.
      // Processing or paused batches past their validity: what they have left fails.
      const expired = `(status IN ('processing', 'paused') AND pending_count > 0
        AND ${validFrom('batches')} < now() - make_interval(secs => $4::double precision / 1000))`;
      const batches = await manager.query<
        {
          id: string;
          accountId: string;
          status: BatchStatus;
          expired: boolean;
          total: number;
          segments: string;
        }[]
      >(
        `SELECT id, account_id AS "accountId", status, ${expired} AS expired, total, segments
         FROM batches
         WHERE (status = 'pending' AND auto_start AND schedule_time <= now())
            OR (status = 'processing' AND pending_count > 0 AND NOT (id = ANY($1))
                AND ($3 OR COALESCE(resumed_at, started_at)
                              < now() - make_interval(secs => $2::double precision / 1000)))
            OR (status = 'cancelled' AND pending_count > 0)
            OR ${expired}
         ORDER BY id FOR UPDATE`,
        [[...withJobs], this.config.reconcileIntervalMs, redisLost, this.retry.validityMs],
      );
      for (const { id, accountId, status, expired: pastValidity, total, segments } of batches) {
        if (status === 'cancelled') {
          // Its worker died mid-send: those messages would stay pending forever.
          if (await this.repository.cancelExpiredClaims(manager, id)) {
            cancelledClaims.push({ id, accountId });
          }
          continue;
        }
        if (pastValidity) {
          expiring.push({ id, accountId }); // after this transaction, in chunks of their own
          continue;
        }
        if (status === 'pending') {
          const need = { messages: total, segments: Number(segments), what: 'this batch' };
          const decision = await this.quotas.tryTake(manager, accountId, need);
          if (!decision.taken) {
            await manager.query(
              `UPDATE batches SET status = 'paused', pause_reason = $2, quota_taken = false
               WHERE id = $1`,
              [id, quotaPauseReason(decision, need)],
            );
            pausedByQuota.push(await manager.findOneByOrFail(BatchEntity, { id }));
            continue;
          }
        }
        const [batch] = await queryRows<QueueableBatch>(
          manager,
          `UPDATE batches SET generation = generation + 1,
             status = 'processing', quota_taken = true,
             started_at = COALESCE(started_at, now()),
             resumed_at = CASE WHEN status = 'pending' THEN now() ELSE resumed_at END
           WHERE id = $1 RETURNING id, priority, total, generation`,
          [id],
        );
        if (status === 'pending') started.push(await manager.findOneByOrFail(BatchEntity, { id }));
        const from = status === 'pending' ? 0 : await this.repository.firstUnfinished(manager, id);
        if (from !== null) queued.push({ batch, from });
      }
    });
    this.events.progressed(cancelledClaims);
    await this.batchService.announce([...started, ...pausedByQuota]);
    for (const { id } of pausedByQuota) this.logger.log(`Batch ${id}: paused by the daily quota`);
    for (const { id, accountId } of expiring) {
      const { expired, finished, appeared } = await this.repository.expire(id);
      if (!expired) continue;
      this.logger.log(`Batch ${id}: ${expired} message(s) expired unsent`);
      for (const category of appeared) this.events.errorAppeared(accountId, id, category);
      this.events.progressed([{ id, accountId }]);
      if (finished) await this.batchService.announce([finished]);
    }
    for (const { batch, from } of queued) await this.producer.enqueue(batch, from);
    if (redisLost) await this.redis.set(this.sentinelKey, String(Date.now()));
    if (queued.length) this.logger.log(`Queued dispatch of ${queued.length} batch(es)`);
    return queued.map((q) => q.batch);
  }
}

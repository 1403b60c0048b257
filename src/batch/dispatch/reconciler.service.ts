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
import { PeriodicTask } from '../../common/periodic-task';
import { REDIS, redisKey } from '../../redis/redis.module';
import { SmsProviders } from '../../sms/sms.module';
import type { BatchEntity } from '../entities/batch.entity';
import { tryAdvisoryXactLock } from '../../database/advisory-lock';
import { ADVISORY_LOCKS } from '../../database/database-setup';
import type { BatchRef } from '../events/batch-notices';
import { BatchEvents } from '../events/batch-events';
import { quotaPauseReason } from '../../quota/daily-quota';
import { QuotaService } from '../../quota/quota.service';
import { BatchRepository } from '../batch.repository';
import { BatchService } from '../batch.service';
import { DispatchProducer, type QueueableBatch } from './dispatch.producer';
import { DispatchRepository } from './dispatch.repository';
import { SendWindows } from '../windows/send-windows.service';

/**
 * docs/ARCHITECTURE.md, "Invariants": PostgreSQL is the truth, Redis only transport. Every
 * RECONCILE_INTERVAL_MS one worker (an advisory lock picks it) starts scheduled batches whose time
 * has come, re-queues processing batches with pending messages of which Redis holds no job (jobs
 * that failed for good), or all of them when Redis lost its data, cancels the expired claims of
 * cancelled or failed batches, and fails the messages of batches past MESSAGE_VALIDITY_SECONDS
 * (per zone key, from its window's first opening, for a batch with a send window; it also counts
 * what waits outside its window for the batch's status). Messages whose claim expired are taken again by the re-queued chunks.
 * A scheduled batch takes its daily quota as it starts; one the quota cannot take is paused
 * instead, saying so, and takes it when resumed.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcilerService.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: DispatchProducer,
    private readonly repository: DispatchRepository,
    private readonly batches: BatchRepository,
    private readonly batchService: BatchService,
    private readonly events: BatchEvents,
    private readonly quotas: QuotaService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
    @Inject(retryConfig.KEY) private readonly retry: RetryConfig,
    @Inject(redisConfig.KEY) redisSettings: RedisConfig,
    private readonly providers: SmsProviders,
    private readonly windows: SendWindows,
  ) {
    this.sentinelKey = redisKey(redisSettings, 'reconciler', 'sentinel');
    this.task = new PeriodicTask(
      'Reconcile',
      config.reconcileIntervalMs,
      () => this.reconcile(),
      this.logger,
    );
  }

  /** A key that only a loss of Redis's data removes. */
  private readonly sentinelKey: string;

  onApplicationBootstrap(): void {
    this.task.start(0);
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
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
    let leader = false;
    await this.dataSource.transaction(async (manager) => {
      if (!(await tryAdvisoryXactLock(manager, ADVISORY_LOCKS.reconcile))) return;
      leader = true;
      // Every batch this pass touches, locked at once in id order, as every writer of batches does.
      const candidates = await this.batches.reconcileCandidates(manager, {
        withJobs: [...withJobs],
        redisLost,
        intervalMs: this.config.reconcileIntervalMs,
        validityMs: this.retry.validityMs,
      });
      for (const { id, accountId, action, total, segments } of candidates) {
        switch (action) {
          case 'cancel-expired-claims':
            // Its worker died mid-send: those messages would stay pending forever.
            if (await this.repository.cancelExpiredClaims(manager, id)) {
              cancelledClaims.push({ id, accountId });
            }
            break;
          case 'expire':
            expiring.push({ id, accountId }); // after this transaction, in chunks of their own
            break;
          case 'scheduled-start': {
            const need = { messages: total, segments, what: 'this batch' };
            const decision = await this.quotas.tryTake(manager, accountId, need);
            if (!decision.taken) {
              await this.batches.pauseByQuota(manager, id, quotaPauseReason(decision, need));
              pausedByQuota.push(await this.batches.find(manager, id));
              break;
            }
            const batch = await this.batches.startScheduled(manager, id);
            started.push(await this.batches.find(manager, id));
            if (batch) queued.push({ batch, from: 0 });
            break;
          }
          case 'requeue': {
            const batch = await this.batches.requeue(manager, id);
            const from = await this.repository.firstUnfinished(manager, id);
            if (batch && from !== null) queued.push({ batch, from });
            break;
          }
        }
      }
    });
    this.events.progressed(cancelledClaims);
    await this.batchService.announce([...started, ...pausedByQuota]);
    for (const { id } of pausedByQuota) this.logger.log(`Batch ${id}: paused by the daily quota`);
    for (const batch of expiring) await this.expire(batch, null);
    if (leader) await this.reconcileWindows();
    for (const { batch, from } of queued) await this.producer.enqueue(batch, from);
    if (redisLost) await this.redis.set(this.sentinelKey, String(Date.now()));
    if (queued.length) this.logger.log(`Queued dispatch of ${queued.length} batch(es)`);
    return queued.map((q) => q.batch);
  }

  /** Fails the unsent messages of a batch (of the zone keys `zones` only, when not null). */
  private async expire({ id, accountId }: BatchRef, zones: readonly string[] | null) {
    const { expired, finished, appeared } = await this.repository.expire(
      id,
      this.providers.idempotent(),
      undefined,
      zones,
    );
    if (!expired) return;
    this.logger.log(`Batch ${id}: ${expired} message(s) expired unsent`);
    for (const category of appeared) this.events.errorAppeared(accountId, id, category);
    this.events.progressed([{ id, accountId }]);
    if (finished) await this.batchService.announce([finished]);
  }

  /**
   * Batches with a send window: messages of zone keys whose validity ran out (counted from the
   * window's first opening) fail; processing ones record how many messages wait outside their
   * window and when the first of those windows opens, for their status.
   */
  private async reconcileWindows(): Promise<void> {
    for (const batch of await this.repository.windowedBatches()) {
      const expired = this.windows.expiredZones(batch);
      if (expired.length) await this.expire(batch, expired);
      if (batch.status !== 'processing') continue;
      const { open, opensAt } = this.windows.sendable(batch);
      const waiting = await this.repository.outsideWindow(batch.id, open ?? []);
      let outside = 0;
      let first = Infinity;
      for (const [zone, count] of waiting) {
        const at = opensAt.get(zone);
        if (at === undefined) {
          // Expired: failed above, or by the next pass. Otherwise its window does not open within
          // a week (its zones' windows stopped overlapping): it waits all the same, with no time.
          if (!expired.includes(zone)) outside += count;
          continue;
        }
        outside += count;
        first = Math.min(first, at);
      }
      const nextWindowAt = outside && Number.isFinite(first) ? new Date(first) : null;
      await this.repository.recordOutsideWindow(batch.id, outside, nextWindowAt);
    }
  }
}

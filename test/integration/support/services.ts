// One-line builders of the code under test on a migrated database: the repositories as the
// service wires them, and the reconciler with fakes for everything that is not PostgreSQL.
import { SmsProviders } from '../../../src/sms/sms.module';
import type { DataSource } from 'typeorm';
import type { SmsProvider } from '../../../src/sms/sms-provider';
import { BatchRepository } from '../../../src/batch/batch.repository';
import type { BatchService } from '../../../src/batch/batch.service';
import type {
  DispatchProducer,
  QueueableBatch,
} from '../../../src/batch/dispatch/dispatch.producer';
import {
  DispatchRepository,
  type ClaimedMessage,
  type MessageResult,
} from '../../../src/batch/dispatch/dispatch.repository';
import { ReconcilerService } from '../../../src/batch/dispatch/reconciler.service';
import type { BatchEntity } from '../../../src/batch/entities/batch.entity';
import { ReceiptsRepository } from '../../../src/batch/delivery/receipts.repository';
import { ProviderSenders } from '../../../src/consent/provider-senders';
import {
  deliveryConfig,
  dispatchConfig,
  errorRateConfig,
  quotaConfig,
  redisConfig,
  retryConfig,
  smppConfig,
  smsConfig,
  twilioConfig,
  type DeliveryConfig,
  type RetryConfig,
  type SmsConfig,
} from '../../../src/config/configuration';
import type { ErrorCategory } from '../../../src/errors/error-taxonomy';
import type { BatchRef } from '../../../src/batch/events/batch-notices';
import type { BatchEvents } from '../../../src/batch/events/batch-events';
import type { MetricsService } from '../../../src/metrics/metrics.service';
import { DailyUsageRepository } from '../../../src/quota/daily-usage.repository';
import { QuotaService } from '../../../src/quota/quota.service';
import type Redis from 'ioredis';
import { Clock, SystemClock } from '../../../src/common/clock';
import { SendWindows } from '../../../src/batch/windows/send-windows.service';

export function newDispatchRepository(
  db: DataSource,
  retry: Partial<RetryConfig> = {},
  sms: Partial<SmsConfig> = {},
): DispatchRepository {
  return new DispatchRepository(
    db,
    new BatchRepository(),
    newReceiptsRepository(db),
    dispatchConfig(),
    { ...retryConfig(), ...retry },
    errorRateConfig(),
    { ...smsConfig(), ...sms },
    new ProviderSenders(twilioConfig(), smppConfig()),
  );
}

export function newReceiptsRepository(
  db: DataSource,
  delivery: Partial<DeliveryConfig> = {},
): ReceiptsRepository {
  return new ReceiptsRepository(db, new BatchRepository(), { ...deliveryConfig(), ...delivery });
}

/** A provider's answer to a claimed message, as dispatch hands it to writeResults. */
export function resultOf(
  batchId: string,
  claimed: Pick<ClaimedMessage, 'seq' | 'token'>,
  answer: 'sent' | 'failed' | 'retry' = 'sent',
  failsBatch: string | null = null,
): MessageResult {
  const at = new Date();
  const category: ErrorCategory = answer === 'failed' ? 'invalid_number' : 'provider_error';
  return {
    batchId,
    seq: claimed.seq,
    token: claimed.token,
    status: answer === 'retry' ? 'pending' : answer,
    nextAttemptAt: answer === 'retry' ? at : null,
    failsBatch,
    sentAt: answer === 'sent' ? at : null,
    providerMessageId: answer === 'sent' ? `sim-${claimed.seq}` : null,
    provider: 'simulated',
    pinned: null,
    lastError: answer === 'sent' ? null : { category, code: 'X', message: 'no' },
    counted: true,
    at,
    call: {
      batchId,
      provider: 'simulated',
      waitMs: 0,
      latencyMs: 1,
      throttle: null,
      rateLimit: null,
    },
    resolution: null,
    parts: null,
  };
}

/** Everything the reconciler did outside PostgreSQL. */
export interface ReconcilerFakes {
  /** What it queued: each batch with the position its jobs start from. */
  queued: { batch: QueueableBatch; from: number }[];
  /** Batches whose new status it published. */
  announced: BatchEntity[];
  progressed: BatchRef[];
  appeared: { batchId: string; category: ErrorCategory }[];
}

export interface ReconcilerWorld {
  /** Whether the provider honours idempotency keys (default: yes, as the simulator). */
  idempotent?: boolean;
  /** Batches Redis holds chunk jobs of. */
  withJobs?: string[];
  /** Redis lost its data: the reconciler's sentinel key is gone. */
  redisLost?: boolean;
  retry?: Partial<RetryConfig>;
  /** The clock send windows are read on (the system's). */
  clock?: Clock;
}

/** The reconciler on `db`, with an in-memory producer, Redis, events and announcer. */
export function newReconciler(
  db: DataSource,
  world: ReconcilerWorld = {},
): { reconciler: ReconcilerService; fakes: ReconcilerFakes } {
  const fakes: ReconcilerFakes = { queued: [], announced: [], progressed: [], appeared: [] };
  const producer = {
    batchesWithJobs: () => Promise.resolve(new Set(world.withJobs ?? [])),
    enqueue: (batch: QueueableBatch, from = 0) => {
      fakes.queued.push({ batch, from });
      return Promise.resolve();
    },
  } as unknown as DispatchProducer;
  let sentinel = !world.redisLost;
  const redis = {
    exists: () => Promise.resolve(sentinel ? 1 : 0),
    set: () => {
      sentinel = true;
      return Promise.resolve('OK');
    },
  } as unknown as Redis;
  const announcer = {
    announce: (batches: readonly BatchEntity[]) => {
      fakes.announced.push(...batches);
      return Promise.resolve();
    },
  } as unknown as BatchService;
  const events = {
    progressed: (batches: readonly BatchRef[]) => fakes.progressed.push(...batches),
    errorAppeared: (_accountId: string, batchId: string, category: ErrorCategory) =>
      fakes.appeared.push({ batchId, category }),
  } as unknown as BatchEvents;
  const metrics = { refused: () => undefined } as unknown as MetricsService;
  const retry = { ...retryConfig(), ...world.retry };
  const quotas = new QuotaService(db, new DailyUsageRepository(), metrics, quotaConfig());
  const reconciler = new ReconcilerService(
    db,
    producer,
    newDispatchRepository(db, retry),
    new BatchRepository(),
    announcer,
    events,
    quotas,
    redis,
    dispatchConfig(),
    retry,
    { ...redisConfig(), prefix: 'it' },
    new SmsProviders(
      new Map([['simulated', { idempotent: world.idempotent ?? true } as SmsProvider]]),
    ),
    new SendWindows(world.clock ?? new SystemClock(), retry),
  );
  return { reconciler, fakes };
}

// The gauges Prometheus reads from Redis and PostgreSQL when it scrapes, added to the metrics
// registry by monitoring: they read the queues, the batches and the quotas, which the metrics
// infrastructure must not import.
import { Logger } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { BATCH_STATUSES, type BatchStatus } from '../../batch/entities/batch.entity';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';
import type { BreakerState } from '../../sms/routing/circuit-breakers';
import { ScrapeSource } from './scrape-source';

/** The jobs of one priority's dispatch queue that are not finished, by state. */
export interface QueueJobCounts {
  /** Ready to be taken (Bull's waiting and paused lists). */
  waiting: number;
  /** Taken by a worker. */
  active: number;
  /** Due later: rechecks of retries, and continuations held back by a job's backoff. */
  delayed: number;
}
export const QUEUE_STATES = ['waiting', 'active', 'delayed'] as const;

/** Messages and segments one account made sendable on one UTC day (daily quotas). */
export interface DailyUsage {
  accountId: string;
  accountName: string;
  /** YYYY-MM-DD */
  day: string;
  messages: number;
  segments: number;
}

type UsageLabel = 'account_id' | 'account' | 'day';

/** salvo_provider_breaker_state's values: the further from closed, the higher. */
export const BREAKER_STATE_VALUES: Record<BreakerState, number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/** Reads made while Prometheus scrapes (monitoring/metrics/scrape-reads.service.ts). */
export interface ScrapeReads {
  queueDepths(): Promise<Record<Priority, QueueJobCounts>>;
  batchesByStatus(): Promise<Partial<Record<BatchStatus, number>>>;
  /** Today's and yesterday's usage of every account that has some. */
  dailyUsage(): Promise<DailyUsage[]>;
  /** The circuit breaker of every provider in use. */
  breakerStates(): Promise<Map<string, BreakerState>>;
}

/** A scrape waits at most this long for Redis or PostgreSQL before leaving their metrics out. */
export const SCRAPE_READ_TIMEOUT_MS = 500;

/**
 * Queue depths, batch counts, daily usage and the providers' breakers as gauges: read only when Prometheus scrapes, each
 * read bounded by SCRAPE_READ_TIMEOUT_MS and left out of the scrape when it fails.
 */
export class ScrapeGauges {
  // The context these warnings had before the gauges left MetricsService: alerts may match it.
  private readonly logger = new Logger('MetricsService');
  private readonly reads: {
    queues: ScrapeSource<Record<Priority, QueueJobCounts>>;
    batches: ScrapeSource<Partial<Record<BatchStatus, number>>>;
    usage: ScrapeSource<DailyUsage[]>;
    breakers: ScrapeSource<Map<string, BreakerState>>;
  };
  private readonly queueDepth: Gauge<'priority' | 'state'>;
  private readonly batches: Gauge<'status'>;
  private readonly dailyMessages: Gauge<UsageLabel>;
  private readonly dailySegments: Gauge<UsageLabel>;
  private readonly breakerState: Gauge<'provider'>;
  /** The daily usage read both gauges of one scrape share (prom-client collects them at once). */
  private usageRead?: Promise<DailyUsage[] | undefined>;

  /** Adds the gauges to `registry`; each scrape reads them through `reads`. */
  constructor(registry: Registry, reads: ScrapeReads) {
    this.reads = {
      queues: new ScrapeSource(
        'queue depths (Redis)',
        () => reads.queueDepths(),
        SCRAPE_READ_TIMEOUT_MS,
        this.logger,
      ),
      batches: new ScrapeSource(
        'batch counts (PostgreSQL)',
        () => reads.batchesByStatus(),
        SCRAPE_READ_TIMEOUT_MS,
        this.logger,
      ),
      usage: new ScrapeSource(
        'daily usage (PostgreSQL)',
        () => reads.dailyUsage(),
        SCRAPE_READ_TIMEOUT_MS,
        this.logger,
      ),
      breakers: new ScrapeSource(
        'circuit breakers (Redis)',
        () => reads.breakerStates(),
        SCRAPE_READ_TIMEOUT_MS,
        this.logger,
      ),
    };

    this.queueDepth = new Gauge({
      name: 'salvo_queue_depth',
      help: 'Chunk jobs of the dispatch queues not yet finished (each up to DISPATCH_CHUNK_SIZE messages), by priority and state; read from Redis when scraped.',
      labelNames: ['priority', 'state'] as const,
      registers: [registry],
      collect: () => this.collectQueueDepths(),
    });

    this.batches = new Gauge({
      name: 'salvo_batches',
      help: 'Batches by status (all accounts); read from PostgreSQL when scraped.',
      labelNames: ['status'] as const,
      registers: [registry],
      collect: () => this.collectBatches(),
    });

    this.dailyMessages = new Gauge({
      name: 'salvo_daily_messages',
      help: 'Messages each account made sendable on the UTC day (what its daily message quota counts), today and yesterday; read from PostgreSQL when scraped.',
      labelNames: ['account_id', 'account', 'day'] as const,
      registers: [registry],
      collect: (): Promise<void> => this.collectDailyUsage(this.dailyMessages, 'messages'),
    });

    this.dailySegments = new Gauge({
      name: 'salvo_daily_segments',
      help: 'Segments of the messages each account made sendable on the UTC day (what its daily segment quota counts), today and yesterday; read from PostgreSQL when scraped.',
      labelNames: ['account_id', 'account', 'day'] as const,
      registers: [registry],
      collect: (): Promise<void> => this.collectDailyUsage(this.dailySegments, 'segments'),
    });

    this.breakerState = new Gauge({
      name: 'salvo_provider_breaker_state',
      help: 'The circuit breaker of each provider in use: 0 closed, 1 half-open (a probe may go), 2 open (no call goes); read from Redis when scraped.',
      labelNames: ['provider'] as const,
      registers: [registry],
      collect: () => this.collectBreakers(),
    });
  }

  private async collectBreakers(): Promise<void> {
    const states = await this.reads.breakers.tryRead();
    this.breakerState.reset();
    for (const [provider, state] of states ?? []) {
      this.breakerState.labels(provider).set(BREAKER_STATE_VALUES[state]);
    }
  }

  private async collectQueueDepths(): Promise<void> {
    const depths = await this.reads.queues.tryRead();
    this.queueDepth.reset();
    if (!depths) return;
    for (const priority of PRIORITIES) {
      for (const state of QUEUE_STATES) {
        this.queueDepth.labels(priority, state).set(depths[priority][state]);
      }
    }
  }

  private async collectBatches(): Promise<void> {
    const counts = await this.reads.batches.tryRead();
    this.batches.reset();
    if (!counts) return;
    for (const status of BATCH_STATUSES) this.batches.labels(status).set(counts[status] ?? 0);
  }

  private async collectDailyUsage(
    gauge: Gauge<UsageLabel>,
    kind: 'messages' | 'segments',
  ): Promise<void> {
    this.usageRead ??= this.reads.usage.tryRead().finally(() => {
      this.usageRead = undefined;
    });
    const usage = await this.usageRead;
    gauge.reset();
    for (const row of usage ?? []) {
      gauge.set({ account_id: row.accountId, account: row.accountName, day: row.day }, row[kind]);
    }
  }
}

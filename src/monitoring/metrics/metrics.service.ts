import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BATCH_STATUSES, type BatchStatus } from '../../batch/entities/batch.entity';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';
import { ERROR_CATEGORIES, type ErrorCategory } from '../../errors/error-taxonomy';
import { ScrapeSource } from './scrape-source';

/** What one provider call of dispatch came to. */
export interface SendObservation {
  priority: Priority;
  /** The message's state after the answer: accepted, failed for good, or waiting for a retry. */
  status: 'sent' | 'failed' | 'pending';
  /** The category of a rejection or timeout; null when accepted. */
  category: ErrorCategory | null;
  /** From the first ask to the limiter until the permit's time. */
  waitMs: number;
  latencyMs: number;
}

/**
 * Why a request, handshake or batch was refused by a defence of issue 12 (docs/SECURITY.md):
 * throttles, destinations, quotas.
 */
export const REFUSAL_REASONS = [
  'auth_throttled',
  'requests_throttled',
  'batches_throttled',
  'destination_country',
  'destination_type',
  'quota_messages',
  'quota_segments',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const ATTEMPT_OUTCOMES = ['accepted', 'failed', 'rate_limited'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

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

/** Reads made while Prometheus scrapes; registered by the module that can reach them. */
export interface ScrapeReads {
  queueDepths(): Promise<Record<Priority, QueueJobCounts>>;
  batchesByStatus(): Promise<Partial<Record<BatchStatus, number>>>;
  /** Today's and yesterday's usage of every account that has some. */
  dailyUsage(): Promise<DailyUsage[]>;
}

/** A scrape waits at most this long for Redis or PostgreSQL before leaving their metrics out. */
export const SCRAPE_READ_TIMEOUT_MS = 500;

/**
 * Salvo's Prometheus metrics, in a registry of its own (not prom-client's global one, so several
 * applications in one process, as in tests, do not collide). Counting is cheap enough for the
 * dispatch hot path; the gauges that read Redis or PostgreSQL do so only when scraped.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly logger = new Logger(MetricsService.name);
  private reads?: {
    queues: ScrapeSource<Record<Priority, QueueJobCounts>>;
    batches: ScrapeSource<Partial<Record<BatchStatus, number>>>;
    usage: ScrapeSource<DailyUsage[]>;
  };

  private readonly sent = new Counter({
    name: 'salvo_messages_sent_total',
    help: 'Messages the provider accepted.',
    labelNames: ['priority'] as const,
    registers: [this.registry],
  });

  private readonly failed = new Counter({
    name: 'salvo_messages_failed_total',
    help: 'Messages that reached a final failure at a provider answer, by the category of that answer.',
    labelNames: ['priority', 'category'] as const,
    registers: [this.registry],
  });

  private readonly attempts = new Counter({
    name: 'salvo_message_attempts_total',
    help: 'Provider calls answered or timed out, by outcome (rate_limited answers are retried without counting as attempts of the message).',
    labelNames: ['priority', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly limiterWait = new Histogram({
    name: 'salvo_limiter_wait_seconds',
    help: "Time from a dispatch loop's first ask to the rate limiter until its permit's time.",
    labelNames: ['priority'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly providerLatency = new Histogram({
    name: 'salvo_provider_latency_seconds',
    help: 'Time the SMS provider took to answer a send (a timeout counts its full wait).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly events = new Counter({
    name: 'salvo_events_emitted_total',
    help: 'Progress events emitted to Socket.IO clients, by event name.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  private readonly refusals = new Counter({
    name: 'salvo_refusals_total',
    help: 'Requests, handshakes and batches refused by a throttle, a destination rule or a daily quota, by reason (destination reasons count refused recipients).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly sockets = new Gauge({
    name: 'salvo_sockets_connected',
    help: 'Socket.IO clients connected to this process.',
    registers: [this.registry],
  });

  private readonly queueDepth = new Gauge({
    name: 'salvo_queue_depth',
    help: 'Chunk jobs of the dispatch queues not yet finished (each up to DISPATCH_CHUNK_SIZE messages), by priority and state; read from Redis when scraped.',
    labelNames: ['priority', 'state'] as const,
    registers: [this.registry],
    collect: () => this.collectQueueDepths(),
  });

  private readonly batches = new Gauge({
    name: 'salvo_batches',
    help: 'Batches by status (all accounts); read from PostgreSQL when scraped.',
    labelNames: ['status'] as const,
    registers: [this.registry],
    collect: () => this.collectBatches(),
  });

  private readonly dailyMessages: Gauge<UsageLabel> = new Gauge({
    name: 'salvo_daily_messages',
    help: 'Messages each account made sendable on the UTC day (what its daily message quota counts), today and yesterday; read from PostgreSQL when scraped.',
    labelNames: ['account_id', 'account', 'day'] as const,
    registers: [this.registry],
    collect: (): Promise<void> => this.collectDailyUsage(this.dailyMessages, 'messages'),
  });

  private readonly dailySegments: Gauge<UsageLabel> = new Gauge({
    name: 'salvo_daily_segments',
    help: 'Segments of the messages each account made sendable on the UTC day (what its daily segment quota counts), today and yesterday; read from PostgreSQL when scraped.',
    labelNames: ['account_id', 'account', 'day'] as const,
    registers: [this.registry],
    collect: (): Promise<void> => this.collectDailyUsage(this.dailySegments, 'segments'),
  });

  /** The daily usage read both gauges of one scrape share (prom-client collects them at once). */
  private usageRead?: Promise<DailyUsage[] | undefined>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Every series exists from the start, so rates and alerts work before the first message.
    for (const priority of PRIORITIES) {
      this.sent.labels(priority).inc(0);
      for (const outcome of ATTEMPT_OUTCOMES) this.attempts.labels(priority, outcome).inc(0);
      for (const category of ERROR_CATEGORIES) this.failed.labels(priority, category).inc(0);
    }
    for (const reason of REFUSAL_REASONS) this.refusals.labels(reason).inc(0);
  }

  /** Registers how to read queue depths, batch counts and daily usage on scrape; until then they are left out. */
  readOnScrape(reads: ScrapeReads): void {
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
    };
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One provider call of dispatch: the attempt, its waits, and the message's final state if it has one. */
  sendObserved({ priority, status, category, waitMs, latencyMs }: SendObservation): void {
    this.attempts.labels(priority, attemptOutcome(status, category)).inc();
    this.limiterWait.labels(priority).observe(waitMs / 1000);
    this.providerLatency.observe(latencyMs / 1000);
    if (status === 'sent') this.sent.labels(priority).inc();
    else if (status === 'failed') this.failed.labels(priority, category ?? 'unknown').inc();
  }

  /** Something refused for `reason`; `count` recipients for a destination refusal. */
  refused(reason: RefusalReason, count = 1): void {
    this.refusals.labels(reason).inc(count);
  }

  eventEmitted(event: string, count = 1): void {
    this.events.labels(event).inc(count);
  }

  socketConnected(): void {
    this.sockets.inc();
  }

  socketDisconnected(): void {
    this.sockets.dec();
  }

  private async collectQueueDepths(): Promise<void> {
    const depths = await this.reads?.queues.tryRead();
    this.queueDepth.reset();
    if (!depths) return;
    for (const priority of PRIORITIES) {
      for (const state of QUEUE_STATES) {
        this.queueDepth.labels(priority, state).set(depths[priority][state]);
      }
    }
  }

  private async collectBatches(): Promise<void> {
    const counts = await this.reads?.batches.tryRead();
    this.batches.reset();
    if (!counts) return;
    for (const status of BATCH_STATUSES) this.batches.labels(status).set(counts[status] ?? 0);
  }

  private async collectDailyUsage(
    gauge: Gauge<UsageLabel>,
    kind: 'messages' | 'segments',
  ): Promise<void> {
    this.usageRead ??= (this.reads?.usage.tryRead() ?? Promise.resolve(undefined)).finally(() => {
      this.usageRead = undefined;
    });
    const usage = await this.usageRead;
    gauge.reset();
    for (const row of usage ?? []) {
      gauge.set({ account_id: row.accountId, account: row.accountName, day: row.day }, row[kind]);
    }
  }
}

/** How an attempt is counted: accepted, throttled by the provider, or failed (retried or not). */
export function attemptOutcome(
  status: SendObservation['status'],
  category: ErrorCategory | null,
): AttemptOutcome {
  if (status === 'sent') return 'accepted';
  return category === 'rate_limited' ? 'rate_limited' : 'failed';
}

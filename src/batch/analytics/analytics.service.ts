import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { averageRate, recentRate } from '../batch-metrics';
import { SentRateService } from '../sent-rate.service';
import type { BatchStatus } from '../entities/batch.entity';
import type { Priority } from '../../rate-limit/tier-rates';
import { BatchNotFound } from '../../errors/domain-error';
import type { ProviderRateLimit } from '../../sms/sms-provider';
import { RateLimiter } from '../../rate-limit/rate-limiter';
import {
  routingConfig,
  type RoutingConfig,
  type SmsProviderName,
} from '../../config/configuration';
import { ProviderBreakers } from '../../sms/routing/provider-breakers';
import type { BreakerStatus } from '../../sms/routing/circuit-breakers';
import type { BatchAnalyticsDto, BreakerDto, ProviderAnalyticsDto } from './analytics.dto';
import {
  READ_BATCH,
  READ_PROVIDER_STATS,
  READ_RATE_STATS,
  READ_RECEIPT_COUNTS,
  READ_TIMELINE,
} from './analytics.sql';
import { deliveryStats, type ReceiptCountRow } from './delivery-stats';
import { quantile } from './histogram';
import type { SendWindow } from '../../config/send-window';

/** A batch that has processed longer than this gets its timeline per 10 s. */
const PER_SECOND_UP_TO_MS = 600_000;

interface BatchRow {
  priority: Priority;
  status: BatchStatus;
  pending: number;
  completed: number;
  segmentsSent: string;
  processingMs: string;
  sendWindow: SendWindow | null;
  outsideWindow: number;
  nextWindowAt: Date | null;
}

interface StatsRow {
  throttleEvents: string;
  pausedMs: string;
  lastRetryAfterMs: number | null;
  lastRateLimit: ProviderRateLimit | null;
  waitMaxMs: number;
  waitHistogram: string[];
  latencyHistogram: string[];
  deliveryLatencyHistogram: string[];
}

interface ProviderRow {
  provider: SmsProviderName;
  sent: string;
  failed: string;
  delivered: string;
  undelivered: string;
  latencyHistogram: string[];
}

/** The breakers' transitions the analytics show. */
const TRANSITIONS_SHOWN = 20;

interface TimelineRow {
  t: Date;
  sent: number;
  failed: number;
  throttled: number;
  delivered: number;
  undelivered: number;
}

/**
 * Reads a batch's rate and delivery analytics from rows kept as results and receipts are written
 * (batch_timeline, batch_rate_stats, batch_receipt_counts, batch_provider_stats, the batch's
 * counters), its current share from the limiter and the providers' breakers from Redis. Never
 * scans messages.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly limiter: RateLimiter,
    private readonly sentRate: SentRateService,
    private readonly breakers: ProviderBreakers,
    @Inject(routingConfig.KEY) private readonly routing: RoutingConfig,
  ) {}

  async read(accountId: string, id: string): Promise<BatchAnalyticsDto> {
    const [batch] = await this.dataSource.query<BatchRow[]>(READ_BATCH, [id, accountId]);
    if (!batch) throw new BatchNotFound(id);
    const processingMs = Number(batch.processingMs);
    const resolution = processingMs <= PER_SECOND_UP_TO_MS ? 1 : 10;
    const processing = batch.status === 'processing';
    const [timeline, last10, last60, [stats], receiptCounts, allottedRate, providerRows] =
      await Promise.all([
        this.dataSource.query<TimelineRow[]>(READ_TIMELINE, [id, resolution]),
        this.sentRate.recent([id], 10),
        this.sentRate.recent([id], 60),
        this.dataSource.query<StatsRow[]>(READ_RATE_STATS, [id]),
        this.dataSource.query<ReceiptCountRow[]>(READ_RECEIPT_COUNTS, [id]),
        this.limiter
          .allottedRate(id, batch.priority, this.routing.table.fallback.providers[0])
          .catch(() => null),
        this.dataSource.query<ProviderRow[]>(READ_PROVIDER_STATS, [id]),
      ]);
    const { providers, breakerTransitions } = await this.byProvider(providerRows);
    const recent = (sent: Map<string, number>, window: number) =>
      processing ? round(recentRate(sent.get(id) ?? 0, processingMs, window)) : 0;
    const achievedRate = {
      overall: round(averageRate(batch.completed, processingMs)),
      last10s: recent(last10, 10),
      last60s: recent(last60, 60),
    };
    const wait = (stats?.waitHistogram ?? []).map(Number);
    const latency = (stats?.latencyHistogram ?? []).map(Number);
    const pace = achievedRate.last10s || allottedRate;
    return {
      id,
      priority: batch.priority,
      configuredRate: this.limiter.rateOf(batch.priority),
      allottedRate,
      achievedRate,
      timeline: timeline.map(({ t, sent, failed, throttled, delivered, undelivered }) => ({
        t: t.toISOString(),
        sent,
        failed,
        throttled,
        delivered,
        undelivered,
      })),
      limiterWaitMs: {
        p50: quantile(wait, 0.5),
        p95: quantile(wait, 0.95),
        max: stats?.waitMaxMs ?? 0,
      },
      providerRateLimits: {
        events: Number(stats?.throttleEvents ?? 0),
        pausedMs: Number(stats?.pausedMs ?? 0),
        lastRetryAfterMs: stats?.lastRetryAfterMs ?? null,
        lastRateLimit: stats?.lastRateLimit ?? null,
      },
      providerLatencyMs: {
        p50: quantile(latency, 0.5),
        p95: quantile(latency, 0.95),
        p99: quantile(latency, 0.99),
      },
      segmentsSent: Number(batch.segmentsSent),
      etaSeconds: batch.status === 'processing' && pace ? Math.ceil(batch.pending / pace) : null,
      delivery: deliveryStats(stats?.deliveryLatencyHistogram ?? [], receiptCounts),
      providers,
      breakerTransitions,
      sendWindow: batch.sendWindow && {
        window: batch.sendWindow,
        // As in the batch's status: the reconciler's count, while processing.
        outsideWindow: processing ? batch.outsideWindow : 0,
        nextWindowAt: processing && batch.nextWindowAt ? batch.nextWindowAt.toISOString() : null,
      },
    };
  }

  /**
   * Every provider in use, then the others this batch's rows name, with their breakers; and the
   * breakers' last transitions. What Redis cannot answer is left out (no breaker, no
   * transitions) rather than failing the read.
   */
  private async byProvider(rows: readonly ProviderRow[]): Promise<{
    providers: ProviderAnalyticsDto[];
    breakerTransitions: BatchAnalyticsDto['breakerTransitions'];
  }> {
    const byName = new Map(rows.map((row) => [row.provider, row]));
    const others = [...byName.keys()].filter((name) => !this.routing.providers.includes(name));
    const names = [...this.routing.providers, ...others.sort()];
    const [states, transitions] = await Promise.all([
      this.breakers.states(names).catch(() => null),
      this.breakers.transitions(TRANSITIONS_SHOWN).catch(() => []),
    ]);
    return {
      providers: names.map((provider) => {
        const row = byName.get(provider);
        const latency = (row?.latencyHistogram ?? []).map(Number);
        const breaker = states?.get(provider);
        return {
          provider,
          sent: Number(row?.sent ?? 0),
          failed: Number(row?.failed ?? 0),
          delivered: Number(row?.delivered ?? 0),
          undelivered: Number(row?.undelivered ?? 0),
          latencyMs: {
            p50: quantile(latency, 0.5),
            p95: quantile(latency, 0.95),
            p99: quantile(latency, 0.99),
          },
          breaker: breaker ? breakerOf(breaker) : null,
        };
      }),
      breakerTransitions: transitions.map(({ provider, from, to, at, reason }) => ({
        provider,
        from,
        to,
        at: at.toISOString(),
        reason,
      })),
    };
  }
}

function breakerOf({ state, failures, openedAt, reopensAt }: BreakerStatus): BreakerDto {
  return {
    state,
    failures,
    openedAt: openedAt?.toISOString() ?? null,
    reopensAt: reopensAt?.toISOString() ?? null,
  };
}

function round(rate: number): number {
  return Math.round(rate * 100) / 100;
}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { averageRate, recentRate } from '../batch-metrics';
import { SentRateService } from '../sent-rate.service';
import type { BatchStatus } from '../entities/batch.entity';
import { smsConfig, type SmsConfig } from '../../config/configuration';
import type { Priority } from '../../rate-limit/tier-rates';
import { BatchNotFound } from '../../errors/domain-error';
import type { ProviderRateLimit } from '../../sms/sms-provider';
import { RateLimiter } from '../../rate-limit/rate-limiter';
import type { BatchAnalyticsDto } from './analytics.dto';
import { READ_BATCH, READ_RATE_STATS, READ_RECEIPT_COUNTS, READ_TIMELINE } from './analytics.sql';
import { deliveryStats, type ReceiptCountRow } from './delivery-stats';
import { quantile } from './histogram';

/** A batch that has processed longer than this gets its timeline per 10 s. */
const PER_SECOND_UP_TO_MS = 600_000;

interface BatchRow {
  priority: Priority;
  status: BatchStatus;
  pending: number;
  completed: number;
  segmentsSent: string;
  processingMs: string;
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
 * (batch_timeline, batch_rate_stats, batch_receipt_counts, the batch's counters) and its current
 * share from the limiter. Never scans messages.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly limiter: RateLimiter,
    private readonly sentRate: SentRateService,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
  ) {}

  async read(accountId: string, id: string): Promise<BatchAnalyticsDto> {
    const [batch] = await this.dataSource.query<BatchRow[]>(READ_BATCH, [id, accountId]);
    if (!batch) throw new BatchNotFound(id);
    const processingMs = Number(batch.processingMs);
    const resolution = processingMs <= PER_SECOND_UP_TO_MS ? 1 : 10;
    const processing = batch.status === 'processing';
    const [timeline, last10, last60, [stats], receiptCounts, allottedRate] = await Promise.all([
      this.dataSource.query<TimelineRow[]>(READ_TIMELINE, [id, resolution]),
      this.sentRate.recent([id], 10),
      this.sentRate.recent([id], 60),
      this.dataSource.query<StatsRow[]>(READ_RATE_STATS, [id]),
      this.dataSource.query<ReceiptCountRow[]>(READ_RECEIPT_COUNTS, [id]),
      this.limiter.allottedRate(id, batch.priority, this.sms.provider).catch(() => null),
    ]);
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
    };
  }
}

function round(rate: number): number {
  return Math.round(rate * 100) / 100;
}

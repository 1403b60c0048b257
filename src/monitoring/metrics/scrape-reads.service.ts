import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DispatchProducer } from '../../batch/dispatch/dispatch.producer';
import type { BatchStatus } from '../../batch/entities/batch.entity';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';
import { QuotaService } from '../../quota/quota.service';
import { MetricsService } from '../../metrics/metrics.service';
import { ProviderBreakers } from '../../sms/routing/provider-breakers';
import { ScrapeGauges, type QueueJobCounts } from './scrape-gauges';
import { COUNT_BATCHES_BY_STATUS } from './scrape-reads.sql';
import { ThrottledRead } from './throttled-read';

/**
 * Batch counts by status are read from PostgreSQL at most this often per process, however often
 * Prometheus scrapes (docs/DECISIONS.md); a scrape serves the last counts while a refresh runs.
 */
export const BATCH_COUNTS_FRESH_MS = 15_000;
/** Counts older than this are not served: the scrape waits for a read, or leaves them out. */
export const BATCH_COUNTS_STALE_MS = 60_000;

/**
 * Daily usage is read at most this often per process: it changes only when batches start, and an
 * alert on a sudden rise does not need it fresher.
 */
export const DAILY_USAGE_FRESH_MS = 5_000;

/**
 * Reads queue depths and the providers' breakers (Redis), batch counts and daily usage
 * (PostgreSQL) for the scrape gauges it adds to MetricsService's registry.
 */
@Injectable()
export class ScrapeReadsService implements OnModuleInit {
  private readonly batchCounts = new ThrottledRead(
    () => this.countBatchesByStatus(),
    BATCH_COUNTS_FRESH_MS,
    BATCH_COUNTS_STALE_MS,
  );

  private readonly dailyUsage = new ThrottledRead(
    () => this.quotas.recentUsage(),
    DAILY_USAGE_FRESH_MS,
    BATCH_COUNTS_STALE_MS,
  );

  constructor(
    private readonly metrics: MetricsService,
    private readonly producer: DispatchProducer,
    private readonly quotas: QuotaService,
    private readonly breakers: ProviderBreakers,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    new ScrapeGauges(this.metrics.registry, {
      queueDepths: () => this.queueDepths(),
      batchesByStatus: () => this.batchCounts.get(),
      dailyUsage: () => this.dailyUsage.get(),
      breakerStates: async () => {
        const states = await this.breakers.states();
        return new Map([...states].map(([provider, { state }]) => [provider, state]));
      },
    });
  }

  private async queueDepths(): Promise<Record<Priority, QueueJobCounts>> {
    const entries = await Promise.all(
      PRIORITIES.map(async (priority) => {
        const queue = this.producer.queue(priority);
        // Bull queues commands until Redis is back; asking a disconnected queue would only pile up.
        if (queue.client.status !== 'ready') throw new Error(`Redis is ${queue.client.status}`);
        const counts = await queue.getJobCounts();
        const jobs: QueueJobCounts = {
          waiting: counts.waiting + ((counts as { paused?: number }).paused ?? 0),
          active: counts.active,
          delayed: counts.delayed,
        };
        return [priority, jobs] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<Priority, QueueJobCounts>;
  }

  private async countBatchesByStatus(): Promise<Partial<Record<BatchStatus, number>>> {
    const rows: { status: BatchStatus; batches: number }[] =
      await this.dataSource.query(COUNT_BATCHES_BY_STATUS);
    return Object.fromEntries(rows.map((row) => [row.status, row.batches]));
  }
}

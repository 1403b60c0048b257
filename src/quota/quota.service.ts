import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { quotaConfig, type QuotaConfig } from '../config/configuration';
import { MetricsService } from '../metrics/metrics.service';
import {
  effectiveLimits,
  exceeded,
  nextUtcMidnight,
  QuotaExceeded,
  utcDay,
  type QuotaDecision,
  type QuotaNeed,
} from './daily-quota';
import { DailyUsageRepository, type UsageRow } from './daily-usage.repository';
import type { UsageDto } from './dto/usage.dto';

/**
 * Daily quotas per account (UTC day): a batch takes its whole quota, all or nothing, in the
 * transaction that makes it sendable, so a refusal leaves nothing behind. Usage is recorded even
 * when unlimited; nothing is given back.
 */
@Injectable()
export class QuotaService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: DailyUsageRepository,
    private readonly metrics: MetricsService,
    @Inject(quotaConfig.KEY) private readonly config: QuotaConfig,
  ) {}

  /** Takes `need` in the caller's transaction, or throws QuotaExceeded (a 429) having taken nothing. */
  async take(manager: EntityManager, accountId: string, need: QuotaNeed): Promise<void> {
    const decision = await this.tryTake(manager, accountId, need);
    if (!decision.taken) throw new QuotaExceeded(decision, need);
  }

  /**
   * Before an auto-starting batch is parsed and copied: QuotaExceeded when a limited quota has
   * nothing left today, so an exhausted account cannot make the service read and write whole
   * batches only to roll them back. A read, no lock: `take` stays the exact check.
   */
  async refuseIfExhausted(accountId: string): Promise<void> {
    const manager = this.dataSource.manager;
    const account = await this.repository.accountQuota(manager, accountId);
    if (!account) return;
    const limits = effectiveLimits(account, this.config);
    if (limits.messages === null && limits.segments === null) return;
    const used = await this.repository.used(manager, accountId, utcDay(account.now));
    const need: QuotaNeed = { messages: 1, segments: 1, what: 'this batch', atLeast: true };
    const over = exceeded(used, need, limits);
    if (!over.length) return;
    for (const kind of over)
      this.metrics.refused(kind === 'messages' ? 'quota_messages' : 'quota_segments');
    throw new QuotaExceeded({ taken: false, used, limits, exceeded: over, now: account.now }, need);
  }

  /** Takes `need` in the caller's transaction if it fits; answers what happened either way. */
  async tryTake(
    manager: EntityManager,
    accountId: string,
    need: QuotaNeed,
  ): Promise<QuotaDecision> {
    const account = await this.repository.accountQuota(manager, accountId);
    if (!account) throw new Error(`Account ${accountId} does not exist`);
    const limits = effectiveLimits(account, this.config);
    const day = utcDay(account.now);
    const used = await this.repository.tryAdd(manager, accountId, day, need, limits);
    if (used) return { taken: true, used, limits };
    const current = await this.repository.used(manager, accountId, day);
    const over = exceeded(current, need, limits);
    for (const kind of over)
      this.metrics.refused(kind === 'messages' ? 'quota_messages' : 'quota_segments');
    return { taken: false, used: current, limits, exceeded: over, now: account.now };
  }

  /** GET /api/usage: the account's usage today and its limits. */
  async usage(accountId: string): Promise<UsageDto> {
    const manager = this.dataSource.manager;
    const account = await this.repository.accountQuota(manager, accountId);
    if (!account) throw new Error(`Account ${accountId} does not exist`);
    const limits = effectiveLimits(account, this.config);
    const date = utcDay(account.now);
    const used = await this.repository.used(manager, accountId, date);
    return {
      date,
      messages: { used: used.messages, limit: limits.messages },
      segments: { used: used.segments, limit: limits.segments },
      resetsAt: nextUtcMidnight(account.now).toISOString(),
    };
  }

  /** Every account's usage of today and yesterday, for the metrics. */
  recentUsage(): Promise<UsageRow[]> {
    return this.repository.recentUsage(this.dataSource.manager);
  }
}

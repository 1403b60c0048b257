// The analytics per provider on the real PostgreSQL and Redis: results written by dispatch's result
// write and receipts applied by the receipts' statement keep batch_provider_stats, the analytics
// read it; the providers' breakers are a real ProviderBreakers under this run's own Redis prefix,
// read by the analytics and by the scrape gauge.
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import { AnalyticsService } from '../../src/batch/analytics/analytics.service';
import type { DispatchProducer } from '../../src/batch/dispatch/dispatch.producer';
import type {
  ClaimedMessage,
  DispatchRepository,
  MessageResult,
} from '../../src/batch/dispatch/dispatch.repository';
import type { ReceiptsRepository } from '../../src/batch/delivery/receipts.repository';
import { SentRateService } from '../../src/batch/sent-rate.service';
import {
  dispatchConfig,
  redisConfig,
  routingConfig,
  type RoutingConfig,
  type SmsProviderName,
} from '../../src/config/configuration';
import { MetricsService } from '../../src/metrics/metrics.service';
import { ScrapeReadsService } from '../../src/monitoring/metrics/scrape-reads.service';
import type { QuotaService } from '../../src/quota/quota.service';
import type { RateLimiter } from '../../src/rate-limit/rate-limiter';
import { RECEIPT_RANKS, type ProviderReceipt } from '../../src/sms/receipts';
import { ProviderBreakers } from '../../src/sms/routing/provider-breakers';
import type { SendResult } from '../../src/sms/sms-provider';
import { batchState, insertAccount, insertBatch } from '../factories/batch-rows';
import { deleteKeys } from '../support/redis';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newDispatchRepository, newReceiptsRepository, resultOf } from './support/services';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `salvo-test-provider-analytics-${randomBytes(3).toString('hex')}`;

const limiter = {
  rateOf: () => 5,
  allottedRate: () => Promise.resolve(5),
} as unknown as RateLimiter;

/** Routes naming SMPP first, then Twilio; a breaker opens after 2 failures, for a minute. */
const routing: RoutingConfig = {
  ...routingConfig(),
  providers: ['smpp', 'twilio'],
  breaker: { failures: 2, cooldownMs: 60_000 },
};

const providerError: SendResult = {
  accepted: false,
  category: 'provider_error',
  code: '503',
  message: 'Service unavailable',
};

function breakersOn(redis: Redis): ProviderBreakers {
  return new ProviderBreakers(
    redis,
    { ...redisConfig(), prefix },
    routing,
    dispatchConfig(),
    new MetricsService(),
  );
}

function analyticsOn(dataSource: DataSource, breakers: ProviderBreakers): AnalyticsService {
  return new AnalyticsService(
    dataSource,
    limiter,
    new SentRateService(dataSource),
    breakers,
    routing,
  );
}

/** The provider message id `answer` gives a message. */
const providerMessageId = (batchId: string, seq: number) => `pm-${batchId}-${seq}`;

/** A final receipt for a message accepted by `answer`. */
function finalReceipt(
  batchId: string,
  seq: number,
  outcome: 'delivered' | 'undelivered',
): ProviderReceipt {
  return {
    provider: 'simulated',
    providerMessageId: providerMessageId(batchId, seq),
    status: outcome,
    rank: RECEIPT_RANKS.final,
    outcome,
    error:
      outcome === 'undelivered'
        ? { category: 'unreachable', code: '30003', message: 'Unreachable destination handset.' }
        : null,
    receivedAt: new Date(),
  };
}

describe('Analytics per provider', () => {
  let db: MigratedDatabase;
  let dispatch: DispatchRepository;
  let receipts: ReceiptsRepository;
  let redis: Redis;
  let breakers: ProviderBreakers;
  let analytics: AnalyticsService;
  let accountId: string;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the breakers log their transitions; the assertions say them here
    db = await createMigratedDatabase();
    dispatch = newDispatchRepository(db.dataSource);
    receipts = newReceiptsRepository(db.dataSource);
    redis = new Redis(REDIS_URL);
    breakers = breakersOn(redis);
    analytics = analyticsOn(db.dataSource, breakers);
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
    await redis.quit();
    await db.drop();
  });

  /** dispatch's answer to `claimed` from `provider`, whose call took `latencyMs`. */
  function answer(
    batchId: string,
    claimed: ClaimedMessage,
    outcome: 'sent' | 'failed' | 'retry',
    provider: SmsProviderName,
    latencyMs = 100,
  ): MessageResult {
    const result = resultOf(batchId, claimed, outcome);
    return {
      ...result,
      providerMessageId: outcome === 'sent' ? providerMessageId(batchId, claimed.seq) : null,
      provider,
      call: { ...result.call!, provider, latencyMs },
    };
  }

  const counts = (read: Awaited<ReturnType<AnalyticsService['read']>>) =>
    read.providers.map(({ provider, sent, failed, delivered, undelivered }) => ({
      provider,
      sent,
      failed,
      delivered,
      undelivered,
    }));

  it('lists every provider in use with zeros before anything is sent', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 2 });
    const read = await analytics.read(accountId, id);
    expect(read.providers).toEqual(
      ['smpp', 'twilio'].map((provider) => ({
        provider,
        sent: 0,
        failed: 0,
        delivered: 0,
        undelivered: 0,
        latencyMs: { p50: null, p95: null, p99: null },
        breaker: { state: 'closed', failures: 0, openedAt: null, reopensAt: null },
      })),
    );
  });

  it("counts each provider's sends, final failures and latency from the results written, a stale one's latency only", async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 6 });
    const claimed = (await dispatch.claim(id, 0, 6, 6)).sort((a, b) => a.seq - b.seq);
    // The last message's lease runs out and another worker takes it over: the first worker's
    // result comes late, stale.
    await db.dataSource.query(
      `UPDATE messages SET claimed_until = now() - interval '1 second' WHERE batch_id = $1 AND seq = 5`,
      [id],
    );
    const [retaken] = await dispatch.claim(id, 5, 6, 1);
    await dispatch.writeResults([
      answer(id, claimed[0], 'sent', 'twilio', 80),
      answer(id, claimed[1], 'sent', 'twilio', 90),
      answer(id, claimed[2], 'failed', 'twilio', 100),
      // Retried: a failed call, not a final failure.
      answer(id, claimed[3], 'retry', 'twilio', 110),
      answer(id, claimed[4], 'sent', 'smpp', 2_000),
      answer(id, claimed[5], 'sent', 'twilio', 30_000),
    ]);
    // A provider no route names any more, which this batch's message went to.
    await dispatch.writeResults([answer(id, retaken, 'sent', 'simulated', 5)]);

    const read = await analytics.read(accountId, id);
    expect(counts(read)).toEqual([
      { provider: 'smpp', sent: 1, failed: 0, delivered: 0, undelivered: 0 },
      { provider: 'twilio', sent: 2, failed: 1, delivered: 0, undelivered: 0 },
      { provider: 'simulated', sent: 1, failed: 0, delivered: 0, undelivered: 0 },
    ]);
    // The sends and failures per provider add up to the batch's counters.
    const state = await batchState(db.dataSource, id);
    expect(read.providers.reduce((sum, p) => sum + p.sent, 0)).toBe(state.completed);
    expect(read.providers.reduce((sum, p) => sum + p.failed, 0)).toBe(state.failed);
    // Twilio answered 5 calls, the stale one's 30 s included; each bound at most a quarter above.
    const twilio = read.providers[1].latencyMs;
    expect(twilio.p50).toBeGreaterThanOrEqual(100);
    expect(twilio.p50).toBeLessThanOrEqual(125);
    expect(twilio.p99).toBeGreaterThanOrEqual(30_000);
    expect(twilio.p99).toBeLessThanOrEqual(37_500);
    expect(read.providers[0].latencyMs.p50).toBeGreaterThanOrEqual(2_000);
    expect(read.providers[0].latencyMs.p50).toBeLessThanOrEqual(2_500);
    expect(read.providers[2].latencyMs.p50).toBeLessThanOrEqual(6);
  });

  it("counts final receipts for the provider that sent the message, once, and never another batch's", async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 3 });
    const other = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const claimed = (await dispatch.claim(id, 0, 3, 3)).sort((a, b) => a.seq - b.seq);
    await dispatch.writeResults([
      answer(id, claimed[0], 'sent', 'twilio'),
      answer(id, claimed[1], 'sent', 'smpp'),
      answer(id, claimed[2], 'sent', 'smpp'),
    ]);
    const [otherClaim] = await dispatch.claim(other, 0, 1, 1);
    await dispatch.writeResults([answer(other, otherClaim, 'sent', 'twilio')]);

    const receive = async (...received: ProviderReceipt[]) => {
      await receipts.keep(received);
      await receipts.applyKeptOf(received.map((r) => r.providerMessageId));
    };
    await receive(finalReceipt(id, 0, 'delivered'), finalReceipt(id, 1, 'undelivered'));
    // A duplicate changes nothing; a later receipt of another message counts.
    await receive(finalReceipt(id, 0, 'delivered'), finalReceipt(id, 2, 'delivered'));

    expect(counts(await analytics.read(accountId, id))).toEqual([
      { provider: 'smpp', sent: 2, failed: 0, delivered: 1, undelivered: 1 },
      { provider: 'twilio', sent: 1, failed: 0, delivered: 1, undelivered: 0 },
    ]);
    expect(counts(await analytics.read(accountId, other))).toEqual([
      { provider: 'smpp', sent: 0, failed: 0, delivered: 0, undelivered: 0 },
      { provider: 'twilio', sent: 1, failed: 0, delivered: 0, undelivered: 0 },
    ]);
  });

  it('shows a breaker open after failures, its transition, and the scrape gauge saying so', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const before = Date.now();
    await breakers.report('twilio', providerError, { probe: false });
    await breakers.report('twilio', providerError, { probe: false });

    const read = await analytics.read(accountId, id);
    const [smpp, twilio] = read.providers;
    expect(smpp.breaker).toEqual({
      state: 'closed',
      failures: 0,
      openedAt: null,
      reopensAt: null,
    });
    expect(twilio.breaker).toMatchObject({ state: 'open', failures: 2 });
    const openedAt = Date.parse(twilio.breaker!.openedAt!);
    // On Redis's clock, which is this machine's: allow a second either way.
    expect(openedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(openedAt).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(Date.parse(twilio.breaker!.reopensAt!)).toBe(openedAt + 60_000);
    expect(read.breakerTransitions).toEqual([
      {
        provider: 'twilio',
        from: 'closed',
        to: 'open',
        at: twilio.breaker!.openedAt,
        reason: 'failures',
      },
    ]);

    // What Prometheus scrapes from the same Redis, through the service every process runs.
    const metrics = new MetricsService();
    const reads = new ScrapeReadsService(
      metrics,
      { queue: () => ({ client: { status: 'end' } }) } as unknown as DispatchProducer,
      { recentUsage: () => Promise.resolve([]) } as unknown as QuotaService,
      breakers,
      db.dataSource,
    );
    reads.onModuleInit();
    const text = await metrics.scrape();
    expect(text).toMatch(/^salvo_provider_breaker_state\{provider="twilio"\} 2$/m);
    expect(text).toMatch(/^salvo_provider_breaker_state\{provider="smpp"\} 0$/m);
  });

  it('still answers, without breakers, when Redis cannot be read', async () => {
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const [claimed] = await dispatch.claim(id, 0, 1, 1);
    await dispatch.writeResults([answer(id, claimed, 'sent', 'smpp')]);
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    try {
      const read = await analyticsOn(db.dataSource, breakersOn(unreachable)).read(accountId, id);
      expect(counts(read)[0]).toEqual({
        provider: 'smpp',
        sent: 1,
        failed: 0,
        delivered: 0,
        undelivered: 0,
      });
      expect(read.providers.map((p) => p.breaker)).toEqual([null, null]);
      expect(read.breakerTransitions).toEqual([]);
    } finally {
      unreachable.disconnect();
    }
  });
});

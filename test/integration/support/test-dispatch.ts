// DispatchService on a migrated database with fakes around it: a provider scripted per call, an
// in-memory producer, a limiter that grants every permit at once. One line builds it:
// `newTestDispatch(db, { provider })`.
import {
  callLeaseNeed,
  dispatchConfig,
  retryConfig,
  routingConfig,
  smsConfig,
  type RetryConfig,
  type RoutingConfig,
  type SmsProviderName,
} from '../../../src/config/configuration';
import type { ProviderBreakers } from '../../../src/sms/routing/provider-breakers';
import { SmsProviders } from '../../../src/sms/sms.module';
import type { BatchService } from '../../../src/batch/batch.service';
import { BatchStatusCache } from '../../../src/batch/dispatch/batch-status.cache';
import type { ChunkJob } from '../../../src/batch/dispatch/dispatch.jobs';
import type { DispatchProducer } from '../../../src/batch/dispatch/dispatch.producer';
import { ClaimLeases } from '../../../src/batch/dispatch/claim-leases.service';
import { DispatchService } from '../../../src/batch/dispatch/dispatch.service';
import { ResultWriterService } from '../../../src/batch/dispatch/result-writer.service';
import type { BatchEvents } from '../../../src/batch/events/batch-events';
import type { MetricsService } from '../../../src/metrics/metrics.service';
import type { PermitScope, RateLimiter } from '../../../src/rate-limit/rate-limiter';
import type {
  ResolveContext,
  SendRequest,
  SendResult,
  SmsProvider,
} from '../../../src/sms/sms-provider';
import type { MigratedDatabase } from './migrated-database';
import { newDispatchRepository } from './services';
import { Clock, SystemClock } from '../../../src/common/clock';
import { SendWindows } from '../../../src/batch/windows/send-windows.service';

/** A scripted answer: a result, or `hang` for a call that never answers. */
export type Answer = SendResult | 'hang';

export const accepted = (providerMessageId = 'P-1'): SendResult => ({
  accepted: true,
  providerMessageId,
});

export const rejected = (
  category: Extract<SendResult, { accepted: false }>['category'],
  code: string,
  retryAfterMs?: number,
): SendResult => ({
  accepted: false,
  category,
  code,
  message: `The fake provider says ${code}.`,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

/**
 * A provider scripted per call: each number answers its queued answers in order, then accepts.
 * It records every send and every resolve.
 */
export class FakeProvider implements SmsProvider {
  readonly sent: SendRequest[] = [];
  readonly resolved: SendRequest[] = [];
  /** What dispatch told each resolution. */
  readonly contexts: ResolveContext[] = [];
  private readonly sends = new Map<string, Answer[]>();
  private readonly resolutions = new Map<string, Answer[]>();

  constructor(readonly idempotent = true) {}

  /** The answers of the next sends to `to`, one per call. */
  answer(to: string, ...answers: Answer[]): this {
    this.sends.set(to, [...(this.sends.get(to) ?? []), ...answers]);
    return this;
  }

  /** The answers of the next resolutions for `to`. */
  resolveAs(to: string, ...answers: Answer[]): this {
    this.resolutions.set(to, [...(this.resolutions.get(to) ?? []), ...answers]);
    return this;
  }

  send(request: SendRequest): Promise<SendResult> {
    this.sent.push(request);
    return play(this.sends.get(request.to)?.shift());
  }

  resolve(request: SendRequest, context: ResolveContext): Promise<SendResult> {
    this.resolved.push(request);
    this.contexts.push(context);
    return play(this.resolutions.get(request.to)?.shift());
  }
}

function play(answer: Answer | undefined): Promise<SendResult> {
  if (answer === 'hang') return new Promise(() => {});
  return Promise.resolve(answer ?? accepted());
}

/** What dispatch asked of the queue, in order. */
export class InMemoryProducer {
  readonly calls: {
    kind: 'continueAt' | 'advance' | 'recheckAfter';
    job: ChunkJob;
    arg?: number;
  }[] = [];

  continueAt(_priority: string, job: ChunkJob, from: number): Promise<void> {
    this.calls.push({ kind: 'continueAt', job, arg: from });
    return Promise.resolve();
  }

  advance(_priority: string, job: ChunkJob): Promise<void> {
    this.calls.push({ kind: 'advance', job });
    return Promise.resolve();
  }

  recheckAfter(_priority: string, job: ChunkJob, delayMs: number): Promise<void> {
    this.calls.push({ kind: 'recheckAfter', job, arg: delayMs });
    return Promise.resolve();
  }
}

/** Grants every permit now; records the provider's rate-limit signals it is given. */
export class GrantingLimiter {
  readonly throttles: (number | undefined)[] = [];

  /** `delayMs`: how long after the grant each permit's message may go. */
  constructor(private readonly delayMs = 0) {}

  readonly asked: PermitScope[] = [];

  acquire(_batchId: string, _priority: string, scope: PermitScope) {
    this.asked.push(scope);
    const want = scope.segments.length;
    const now = Date.now();
    return Promise.resolve({
      count: want,
      atMs: Array<number>(want).fill(now),
      delaysMs: Array<number>(want).fill(this.delayMs),
      waitMs: 0,
      allottedRate: 1000,
    });
  }

  /** No ceiling: a late send goes as it is. */
  lateToleranceMs(): number | null {
    return null;
  }

  throttled(_provider: SmsProviderName, retryAfterMs: number | undefined) {
    this.throttles.push(retryAfterMs);
    return Promise.resolve({ pausedMs: retryAfterMs ?? 0, ceiling: 1000 });
  }

  reported(): Promise<void> {
    return Promise.resolve();
  }
}

/** Breakers that are always closed and take every report: for tests that are not about them. */
export const closedBreakers = {
  states: (providers: readonly string[] = ['simulated']) =>
    Promise.resolve(
      new Map(
        providers.map((name) => [
          name,
          {
            state: 'closed',
            failures: 0,
            openedAt: null,
            reopensAt: null,
            credentialsRefused: false,
            probing: false,
          },
        ]),
      ),
    ),
  admit: () => Promise.resolve('closed'),
  report: () => Promise.resolve(null),
} as unknown as ProviderBreakers;

export interface TestDispatchOptions {
  /** SMS_PROVIDER's adapter (simulated). */
  provider?: FakeProvider;
  /** The adapters of other providers the routes name. */
  others?: Partial<Record<SmsProviderName, FakeProvider>>;
  routing?: RoutingConfig;
  breakers?: ProviderBreakers;
  retry?: Partial<RetryConfig>;
  /** PROVIDER_TIMEOUT_MS; short, so a hanging call times out quickly. */
  timeoutMs?: number;
  /** How long each claimed message waits for its permit's time before its call. */
  permitDelayMs?: number;
  /** Another limiter than one granting everything at once. */
  limiter?: GrantingLimiter;
  /** The clock send windows are read on (the system's). */
  clock?: Clock;
  /**
   * The lease the worker counts on for its claims (ClaimLeases), never renewed here; PostgreSQL's
   * stays CLAIM_LEASE_MS. Shorter than permitDelayMs: every claim may have run out at its call.
   */
  localLeaseMs?: number;
}

export function newTestDispatch(
  db: MigratedDatabase,
  {
    provider = new FakeProvider(),
    others = {},
    routing = routingConfig(),
    breakers = closedBreakers,
    retry: retryOverrides = {},
    timeoutMs = 100,
    permitDelayMs = 0,
    limiter = new GrantingLimiter(permitDelayMs),
    clock = new SystemClock(),
    localLeaseMs,
  }: TestDispatchOptions = {},
) {
  const retry = { ...retryConfig(), ...retryOverrides };
  const flushIntervalMs = 10;
  const dispatch = {
    ...dispatchConfig(),
    flushIntervalMs,
    callLeaseMs: callLeaseNeed(timeoutMs, flushIntervalMs),
  };
  const repository = newDispatchRepository(db.dataSource, retry);
  const leases = new ClaimLeases(repository, {
    ...dispatch,
    claimLeaseMs: localLeaseMs ?? dispatch.claimLeaseMs,
  });
  const events = { progressed: () => {}, errorAppeared: () => {} } as unknown as BatchEvents;
  const batches = { announce: () => Promise.resolve() } as unknown as BatchService;
  const metrics = {
    sendObserved: () => {},
    failedWithoutCall: () => {},
    receiptApplied: () => {},
  } as unknown as MetricsService;
  const producer = new InMemoryProducer();
  const service = new DispatchService(
    repository,
    producer as unknown as DispatchProducer,
    limiter as unknown as RateLimiter,
    new ResultWriterService(repository, batches, events, metrics, dispatch, leases),
    new BatchStatusCache(repository),
    events,
    metrics,
    new SmsProviders(
      new Map<SmsProviderName, SmsProvider>([
        ['simulated', provider],
        ...(Object.entries(others) as [SmsProviderName, FakeProvider][]),
      ]),
    ),
    breakers,
    { ...smsConfig(), timeoutMs },
    dispatch,
    routing,
    retry,
    new SendWindows(clock, retry),
    leases,
  );
  return {
    service,
    leases,
    provider,
    producer,
    limiter,
    /** One chunk job over the whole batch in its generation, as the queue would run it. */
    run: async (batchId: string) => {
      const [{ total, generation }] = await db.dataSource.query<
        { total: number; generation: number }[]
      >(`SELECT total, generation FROM batches WHERE id = $1`, [batchId]);
      await service.processChunk({
        batchId,
        generation,
        total,
        size: total,
        lanes: 1,
        chunk: 0,
        from: 0,
      });
    },
  };
}

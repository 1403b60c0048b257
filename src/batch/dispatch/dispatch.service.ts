import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dispatchConfig,
  retryConfig,
  routingConfig,
  smsConfig,
  type DispatchConfig,
  type RetryConfig,
  type RoutingConfig,
  type SmsConfig,
  type SmsProviderName,
} from '../../config/configuration';
import { SUPPRESSED } from '../../consent/suppression.sql';
import { CATEGORY_POLICIES } from '../../errors/error-taxonomy';
import { decideRetry } from '../../errors/retry-policy';
import { MetricsService } from '../../metrics/metrics.service';
import type { CallObservation } from '../analytics/call-stats';
import { BatchEvents } from '../events/batch-events';
import { RateLimiter } from '../../rate-limit/rate-limiter';
import { callProvider, reachedProvider } from '../../sms/provider-call';
import { breakerOutcome } from '../../sms/routing/breaker-outcome';
import type { BreakerState, BreakerStatus } from '../../sms/routing/circuit-breakers';
import { ProviderBreakers } from '../../sms/routing/provider-breakers';
import { chooseProvider, mayMove, routeProviders } from '../../sms/routing/provider-choice';
import type { SendResult } from '../../sms/sms-provider';
import { SmsProviders } from '../../sms/sms.module';
import { parseTemplate, renderStoredMessage, type ParsedTemplate } from '../../template/template';
import { BatchStatusCache } from './batch-status.cache';
import { ClaimLeases } from './claim-leases.service';
import { chunkEnd, SLICE_MS, type ChunkJob } from './dispatch.jobs';
import { DispatchProducer } from './dispatch.producer';
import {
  DispatchRepository,
  type ClaimCandidate,
  type ClaimedMessage,
  type DispatchableBatch,
  type HeldClaim,
  type MessageResult,
} from './dispatch.repository';
import { ResultWriterService } from './result-writer.service';
import { SendWindows } from '../windows/send-windows.service';

/** Thrown by a chunk job on a draining worker, so Bull hands the job to another worker. */
export class WorkerDraining extends Error {
  constructor() {
    super('This worker is shutting down; the chunk goes back to the queue.');
    this.name = 'WorkerDraining';
  }
}

/**
 * A permit for one message: when it may go (on Redis's clock, its sentAt, and on this process's
 * clock), how long it was waited for.
 */
interface Permit {
  atMs: number;
  dueAt: number;
  waitMs: number;
}

/** A send this late after its permit's time under a ceiling takes a new permit, this many times. */
const LATE_PERMITS = 5;
/**
 * How long a send may wait for new permits in all before its message is given back unsent: a
 * small part of the claim lease's margin (claimLeaseFloor), so the claim never runs out meanwhile.
 */
const LATE_PERMIT_WAIT_MS = 500;

/** How a chunk job's loop ended, which decides what it queues next. */
type Outcome = 'exhausted' | 'sliced' | 'stopped' | 'draining';

/** Messages looked at per round of a chunk's loop, for their providers: a default chunk in one round. */
const CANDIDATES = 200;

/** Where a claimed message's call goes, and which providers its route has. */
interface Routing {
  provider: SmsProviderName;
  /** The call is its provider's one probe while the breaker is half-open. */
  probe: boolean;
  providers: readonly SmsProviderName[];
  /** The breaker's consecutive failures when the round began: a success after none says nothing new. */
  failures: number;
  /** The message's segments, for a new permit. */
  segments: number;
}

/** One round's choice: a provider and the messages going to it, and the messages that wait. */
interface Plan {
  target: { provider: SmsProviderName; probe: boolean } | null;
  messages: ClaimCandidate[];
  providers: Map<number, readonly SmsProviderName[]>;
  /** Messages whose every provider's breaker is open. */
  waiting: number[];
  /** Messages whose provider gave no permit a moment ago: they go on their turn. */
  later: number[];
  /** When the first of their providers may give permits again. */
  laterUntil: number;
  /** Messages whose number is suppressed: they fail without a permit or a call. */
  suppressed: number[];
  breakers: ReadonlyMap<SmsProviderName, BreakerStatus>;
}

/** A chunk waiting only for breakers looks again within these bounds. */
const WAITING_RECHECK_MIN_MS = 1_000;

/**
 * Sends a chunk of a batch's messages: permits from the shared limiter first, then claims for
 * exactly that many messages, then the provider calls at the permits' times. Claims are held only
 * for the moment of sending, so a slow tier never lets a lease run out. A job works for one time
 * slice at most, then queues what comes next (dispatch.jobs.ts).
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger(DispatchService.name);
  private draining = false;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly repository: DispatchRepository,
    private readonly producer: DispatchProducer,
    private readonly limiter: RateLimiter,
    private readonly results: ResultWriterService,
    private readonly statuses: BatchStatusCache,
    private readonly events: BatchEvents,
    private readonly metrics: MetricsService,
    private readonly providers: SmsProviders,
    private readonly breakers: ProviderBreakers,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
    @Inject(dispatchConfig.KEY) private readonly dispatch: DispatchConfig,
    @Inject(routingConfig.KEY) private readonly routing: RoutingConfig,
    @Inject(retryConfig.KEY) private readonly retry: RetryConfig,
    private readonly windows: SendWindows,
    private readonly leases: ClaimLeases,
  ) {}

  async processChunk(job: ChunkJob): Promise<void> {
    if (this.draining) throw new WorkerDraining();
    const run = this.run(job);
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }

  /** Stops taking work, lets calls in flight finish (at most `withinMs`) and writes their results. */
  async drain(withinMs: number): Promise<void> {
    this.draining = true;
    await Promise.race([Promise.allSettled([...this.running]), sleep(withinMs)]);
    await this.results.flush();
  }

  private async run(job: ChunkJob): Promise<void> {
    const batch = await this.repository.batch(job.batchId);
    // Not processing: resume or start queues it again. Another generation: this job is stale.
    if (batch?.status !== 'processing' || batch.generation !== job.generation) return;
    // Past its validity nothing more is sent; the reconciler fails what is left.
    if (this.expired(batch)) return;
    const start = job.chunk * job.size;
    const end = chunkEnd(job);
    const { outcome, next, waitingMs } = await this.sendChunk(batch, job, end);
    switch (outcome) {
      case 'draining':
        throw new WorkerDraining();
      case 'stopped':
        return;
      case 'sliced':
        return this.producer.continueAt(batch.priority, job, next);
      case 'exhausted': {
        // Stopped or queued afresh meanwhile: the batch's current jobs (if any) go on.
        if (!(await this.statuses.current(batch.id, batch.generation))) return;
        // Messages passed over while another claim locked them may be free again now; retries
        // due later, and claims another worker still holds (it may have died), when their time
        // comes; messages waiting for their providers' breakers when one may let a call through.
        // A recheck looks at the chunk again then; meanwhile the lane moves on.
        // Messages waiting for breakers are claimable too: with them, the chunk is looked at
        // again when a probe may go, or sooner when a retry comes due.
        // Messages whose send window is closed are due when it opens.
        const { open, opensInMs } = this.windows.sendable(batch);
        const missed =
          waitingMs === null
            ? await this.repository.nextClaimable(batch.id, start, end, open)
            : null;
        const later =
          missed !== null ? 0 : await this.repository.nextDueInMs(batch.id, start, end, opensInMs);
        const dueInMs = waitingMs === null ? later : Math.min(waitingMs, later ?? Infinity);
        if (dueInMs !== null) await this.producer.recheckAfter(batch.priority, job, dueInMs + 100);
        return this.producer.advance(batch.priority, job);
      }
    }
  }

  /**
   * The chunk's loop. Each round looks at the next messages a claim could take, chooses each one's
   * provider (provider-choice.ts), takes the first provider's messages, asks the limiter for their
   * permits at that provider, claims exactly those and sends them at the permits' times.
   * `waitingMs`: when messages passed over wait for breakers, how soon to look at them again.
   */
  private async sendChunk(
    batch: DispatchableBatch,
    job: ChunkJob,
    end: number,
  ): Promise<{ outcome: Outcome; next: number; waitingMs: number | null }> {
    const { template } = parseTemplate(batch.text);
    const deadline = Date.now() + SLICE_MS;
    const sends = new Set<Promise<void>>();
    const unsent: (ClaimedMessage & { inDoubt?: boolean; idempotent: boolean })[] = [];
    let cursor: number | null = job.from;
    let outcome: Outcome = 'exhausted';
    let askingSince: number | undefined;
    let waitingUntil: number | null = null;
    // Probes another worker took first (a race the breakers' states could not show).
    const probeRefusedUntil = new Map<SmsProviderName, number>();
    // Providers that gave no permit: their messages wait their turn while others' go.
    const slowUntil = new Map<SmsProviderName, number>();
    try {
      while (cursor !== null) {
        if (this.draining) {
          outcome = 'draining';
          break;
        }
        if (Date.now() > deadline) {
          outcome = 'sliced';
          break;
        }
        // Paused, cancelled, or queued afresh under a new generation (whose jobs take over).
        if (!(await this.statuses.current(batch.id, batch.generation))) {
          outcome = 'stopped';
          break;
        }
        const limit = Math.min(CANDIDATES, end - cursor);
        // Only messages whose send window is open: with none, nothing asks the limiter.
        const { open } = this.windows.sendable(batch);
        const candidates = await this.repository.candidates(batch.id, cursor, end, limit, open);
        if (!candidates.length) break;
        const plan = await this.plan(candidates, probeRefusedUntil, slowUntil);
        if (plan.waiting.length) waitingUntil = earliestProbe(plan, waitingUntil);
        // Claimed and failed here, so they neither wait for a permit nor hold up the others.
        const refused = await this.failSuppressed(batch, plan.suppressed);
        if (!plan.target && plan.later.length) {
          // Every provider with messages to send is between permits.
          await sleep(Math.max(1, plan.laterUntil - Date.now()));
          continue;
        }
        // Passed over this round: waiting for breakers, or claimed by someone else meanwhile.
        const dealtWith = new Set([...plan.waiting, ...refused]);
        const claimed: ClaimedMessage[] = [];
        const { target } = plan;
        if (target) {
          // The wait for a permit counts from when the loop first asked for it.
          askingSince ??= Date.now();
          // Permit times are Redis's; the time before the answer came back counts as lateness.
          const askedAt = Date.now();
          const permits = await this.limiter.acquire(batch.id, batch.priority, {
            provider: target.provider,
            segments: plan.messages.map((message) => message.segments),
          });
          const grantedAt = Date.now();
          if (!permits.count) {
            slowUntil.set(target.provider, grantedAt + permits.waitMs);
            continue;
          }
          slowUntil.delete(target.provider);
          const granted = plan.messages.slice(0, permits.count);
          // Half-open: the probe slot is taken only now that the call has its permit, so a probe
          // is never held by a loop that waits for one. Another worker's probe may have gone
          // first: the provider then counts as open for a moment, and the round is planned again.
          const admission = target.probe ? await this.breakers.admit(target.provider) : 'closed';
          if (admission === 'refused') {
            probeRefusedUntil.set(target.provider, Date.now() + WAITING_RECHECK_MIN_MS);
            continue;
          }
          const probe = admission === 'probe';
          // The lease counts from before the statement went out (ClaimLeases).
          const claimSentAt = this.leases.now();
          claimed.push(
            ...(await this.repository.claimMessages(
              batch.id,
              granted.map((message) => message.seq),
              target.provider,
              open,
            )),
          );
          this.leases.hold(
            claimed.map((message) => heldClaim(batch, message)),
            claimSentAt,
          );
          const waitedFrom = askingSince;
          askingSince = undefined;
          // Granted but not claimed (someone else took them meanwhile) is passed over too.
          granted.forEach(({ seq }) => dealtWith.add(seq));
          if (!claimed.length) {
            if (probe) await this.breakers.release(target.provider).catch(() => undefined);
            // The batch stopped or its validity ran out since the loop looked: nothing to claim.
            if (this.expired(batch)) {
              outcome = 'stopped';
              break;
            }
          }
          claimed.forEach((message) => {
            const i = granted.findIndex(({ seq }) => seq === message.seq);
            const permit = {
              atMs: permits.atMs[i],
              dueAt: askedAt + permits.delaysMs[i],
              waitMs: Math.max(0, permits.atMs[i] - waitedFrom),
            };
            const routing: Routing = {
              provider: target.provider,
              probe,
              providers: plan.providers.get(message.seq) ?? [target.provider],
              failures: plan.breakers.get(target.provider)?.failures ?? 0,
              segments: granted[i].segments,
            };
            const adapter = this.providers.get(target.provider);
            const send = this.sendAt(batch, template, message, permit, routing)
              .then(async (sent) => {
                if (sent === 'written') return;
                unsent.push({
                  ...message,
                  inDoubt: sent === 'in-doubt',
                  idempotent: adapter.idempotent,
                });
                // A probe that made no call frees its slot; its lease would free it anyway.
                if (probe) await this.breakers.release(target.provider).catch(() => undefined);
              })
              .catch((error: Error) => {
                // Left claimed: no longer renewed, its lease runs out and the message is claimed
                // again (callProvider).
                this.leases.forget([heldClaim(batch, message)]);
                this.logger.error(
                  `Sending message ${message.id} failed: ${error.message}`,
                  error.stack,
                );
              })
              .finally(() => sends.delete(send));
            sends.add(send);
          });
        }
        cursor = nextCursor(candidates, limit, dealtWith);
      }
    } finally {
      await Promise.allSettled([...sends]);
      if (unsent.length) {
        // A re-claim this worker did not get to resolve stays in doubt for the next claim.
        const claims = unsent.map(({ seq, token, reclaimed, inDoubt, idempotent }) => ({
          seq,
          token,
          unresolved: inDoubt || (reclaimed && !idempotent),
        }));
        await this.repository.release(batch.id, claims).then(
          // A stopped batch's counters moved: its followers see the messages cancelled.
          ({ cancelled }) =>
            cancelled && this.events.progressed([{ id: batch.id, accountId: batch.accountId }]),
          (error: Error) =>
            this.logger.error(`Releasing ${unsent.length} claims failed: ${error.message}`),
        );
        // Released, or left to run out if the release failed: either way no longer renewed.
        this.leases.forget(unsent.map((message) => heldClaim(batch, message)));
      }
      await this.results.flush();
    }
    // Not sooner than a second (a probe may be out), not later than a cool-down.
    const waitingMs =
      waitingUntil === null
        ? null
        : Math.max(
            WAITING_RECHECK_MIN_MS,
            Math.min(this.routing.breaker.cooldownMs, waitingUntil - Date.now()),
          );
    return { outcome, next: cursor ?? end, waitingMs };
  }

  /**
   * Chooses each candidate's provider from the breakers as they stand, and takes the messages of
   * the first one chosen: all of them, or only the first when it goes as the provider's probe.
   */
  private async plan(
    candidates: readonly ClaimCandidate[],
    probeRefusedUntil: ReadonlyMap<SmsProviderName, number>,
    slowUntil: Map<SmsProviderName, number>,
  ): Promise<Plan> {
    const breakers = await this.breakers.states();
    // A half-open breaker whose probe is out takes no call: as good as open for this round.
    const states = new Map<SmsProviderName, BreakerState>(
      [...breakers].map(([name, { state, probing }]) => [
        name,
        state === 'half-open' && (probing || (probeRefusedUntil.get(name) ?? 0) > Date.now())
          ? 'open'
          : state,
      ]),
    );
    const plan: Plan = {
      target: null,
      messages: [],
      providers: new Map(),
      waiting: [],
      later: [],
      laterUntil: Infinity,
      suppressed: [],
      breakers,
    };
    const now = Date.now();
    for (const [name, until] of slowUntil) if (until <= now) slowUntil.delete(name);
    for (const candidate of candidates) {
      if (candidate.suppressed) {
        plan.suppressed.push(candidate.seq);
        continue;
      }
      const providers = routeProviders(candidate, this.routing.table, this.routing.providers);
      const choice = chooseProvider(candidate, providers, states, this.sms.provider);
      // Pinned to a provider no longer configured: it waits (until its validity runs out) rather
      // than going anywhere else.
      if (choice.kind === 'wait' || !this.providers.has(choice.provider)) {
        plan.waiting.push(candidate.seq);
        continue;
      }
      const slow = slowUntil.get(choice.provider);
      if (slow !== undefined) {
        plan.later.push(candidate.seq);
        plan.laterUntil = Math.min(plan.laterUntil, slow);
        continue;
      }
      plan.target ??= { provider: choice.provider, probe: choice.probe };
      if (choice.provider !== plan.target.provider || choice.probe !== plan.target.probe) continue;
      plan.messages.push(candidate);
      plan.providers.set(candidate.seq, providers);
      if (choice.probe) break;
    }
    return plan;
  }

  /**
   * Sends one claimed message at its permit's time, and adds its result to write. `unsent` when
   * the batch stopped meanwhile, or the claim may have run out before the call; `in-doubt` when a
   * resolution could not read or reserve provider message ids in PostgreSQL (a passing error), or
   * its claim may have run out before it could ask or resend: nothing was sent after that, so the
   * message is left to the next claim to resolve again rather than written OUTCOME_UNKNOWN for
   * good.
   */
  private async sendAt(
    batch: DispatchableBatch,
    template: ParsedTemplate,
    message: ClaimedMessage,
    granted: Permit,
    routing: Routing,
  ): Promise<'written' | 'unsent' | 'in-doubt'> {
    const permit = await this.onTime(batch, routing, granted);
    if (
      !permit ||
      !(await this.statuses.current(batch.id, batch.generation)) ||
      this.expired(batch)
    ) {
      return 'unsent';
    }
    const claim = heldClaim(batch, message);
    const adapter = this.providers.get(routing.provider);
    // The pre-call fence: a claim whose lease may run out before the call's outcome is written
    // (this process was stopped, or could not renew) may become another worker's, and a provider
    // without idempotency keys would then send the message twice. One with them replays a repeat.
    const needMs = adapter.idempotent ? 1 : this.dispatch.callLeaseMs;
    if (!(await this.held(claim, needMs))) return 'unsent';
    const { atMs, waitMs } = permit;
    const calledAt = performance.now();
    const self = { batchId: batch.id, seq: message.seq };
    let lookupsFailed = false;
    let lapsed = false;
    // Asked again before a resolution's requests: the call may have outlasted the lease.
    const held = async () => {
      if (await this.held(claim, needMs)) return true;
      lapsed = true;
      return false;
    };
    const noted = <T>(work: Promise<T>) =>
      work.catch((error: unknown) => {
        lookupsFailed = true;
        throw error;
      });
    const result = await callProvider(
      adapter,
      {
        messageId: message.id,
        idempotencyKey: message.id,
        to: message.phoneNumber,
        body: renderStoredMessage(template, message.variables),
        attempt: message.token,
        // Every call of this message came after its batch first started, a moment never moved
        // (a reopening moves validFrom, not this), so a lookup from there misses none of them.
        since: batch.callsSince,
        validUntil: new Date(this.windows.providerValidUntil(batch, message.sendZone)),
        // A long message some of whose parts went before: the call sends only the others.
        ...(message.parts && { parts: message.parts }),
      },
      {
        timeoutMs: this.sms.timeoutMs,
        reclaimed: message.reclaimed,
        lookups: {
          taken: (ids) => noted(this.repository.takenProviderMessageIds(ids, self)),
          adopt: (sid) => noted(this.repository.adopt(sid, self)),
          held,
        },
      },
    );
    if ((lookupsFailed || lapsed) && !result.accepted) {
      this.logger.warn(
        `Resolving message ${message.id} stopped (${lapsed ? 'its claim may have run out' : 'a database error'}); the next claim resolves it again.`,
      );
      return 'in-doubt';
    }
    const latencyMs = performance.now() - calledAt;
    await this.tellBreaker(routing, result);
    const throttle = await this.observe(routing.provider, result);
    const written = await this.toResult(batch, message, atMs, result, routing);
    this.metrics.sendObserved({
      priority: batch.priority,
      status: written.status,
      category: written.lastError?.category ?? null,
      waitMs,
      latencyMs,
    });
    this.results.add({
      ...written,
      call: {
        batchId: batch.id,
        provider: routing.provider,
        waitMs,
        latencyMs,
        throttle,
        rateLimit: result.rateLimit ?? null,
      },
    });
    return 'written';
  }

  /**
   * Claims the messages `seqs` whose number is suppressed and writes them failed (`opted_out`,
   * SUPPRESSED): no provider call, no attempt counted, no permit taken. Answers the positions
   * looked at, claimed or not (another worker may hold one; its next round sees it again).
   */
  private async failSuppressed(
    batch: DispatchableBatch,
    seqs: readonly number[],
  ): Promise<readonly number[]> {
    if (!seqs.length) return seqs;
    const at = new Date();
    for (const message of await this.repository.claimSuppressed(batch.id, seqs)) {
      this.metrics.failedWithoutCall(batch.priority, 'opted_out');
      this.results.add({
        batchId: batch.id,
        seq: message.seq,
        token: message.token,
        status: 'failed',
        nextAttemptAt: null,
        failsBatch: null,
        sentAt: null,
        providerMessageId: null,
        provider: null,
        pinned: message.pinned,
        lastError: {
          category: 'opted_out',
          code: SUPPRESSED,
          message:
            'Not sent: the number is suppressed (it opted out, or is on a suppression list).',
        },
        counted: false,
        at,
        call: null,
        resolution: null,
        parts: null,
      });
    }
    return seqs;
  }

  /**
   * Waits for the permit's time. Under a ceiling (limiter's lateToleranceMs), a send that comes
   * later than the tolerance (a busy event loop, a stalled process) would crowd the next second
   * at the provider: it takes a new permit instead, a few times at most, and gives its message
   * back (null) rather than hold its claim waiting for long.
   */
  private async onTime(
    batch: DispatchableBatch,
    routing: Routing,
    permit: Permit,
  ): Promise<Permit | null> {
    const tolerance = this.limiter.lateToleranceMs(routing.provider);
    const giveUpAt = Date.now() + LATE_PERMIT_WAIT_MS;
    for (let late = 0; ; late++) {
      const waitMs = permit.dueAt - Date.now();
      if (waitMs >= 1) await sleep(waitMs);
      if (tolerance === null || Date.now() - permit.dueAt <= tolerance) return permit;
      // Late again and again (a process that keeps stalling): given back rather than sent late.
      if (late === LATE_PERMITS) return null;
      const scope = { provider: routing.provider, segments: [routing.segments] };
      let askedAt = Date.now();
      let again = await this.limiter.acquire(batch.id, batch.priority, scope);
      while (!again.count) {
        if (Date.now() + again.waitMs > giveUpAt) return null;
        await sleep(again.waitMs);
        askedAt = Date.now();
        again = await this.limiter.acquire(batch.id, batch.priority, scope);
      }
      permit = {
        atMs: again.atMs[0],
        dueAt: askedAt + again.delaysMs[0],
        waitMs: permit.waitMs + Math.max(0, again.atMs[0] - permit.atMs),
      };
      if (permit.dueAt > giveUpAt) return null;
    }
  }

  /**
   * Tells the provider's breaker how the call went. A success while the breaker counted no
   * failures says nothing new, and is not sent to Redis.
   */
  private async tellBreaker(routing: Routing, result: SendResult): Promise<void> {
    const outcome = breakerOutcome(result);
    // A probe is reported whatever the answer (provider-breakers.ts); any other call only when its
    // answer says something new.
    const news = outcome !== null && (outcome !== 'success' || routing.failures > 0);
    if (!routing.probe && !news) return;
    try {
      await this.breakers.report(routing.provider, result, { probe: routing.probe });
    } catch (error) {
      this.logger.warn(
        `The circuit breaker of ${routing.provider} did not take the answer: ${(error as Error).message}`,
      );
    }
  }

  /**
   * The provider's rate-limit signals go to the limiter, for that provider: a 429 pauses, reported
   * limits slow. Answers what a 429 did, for the analytics.
   */
  private async observe(
    provider: SmsProviderName,
    result: SendResult,
  ): Promise<CallObservation['throttle']> {
    let throttle: CallObservation['throttle'] = null;
    try {
      if (!result.accepted && result.category === 'rate_limited' && !result.local) {
        const { pausedMs } = await this.limiter.throttled(provider, result.retryAfterMs);
        throttle = { pausedMs, retryAfterMs: result.retryAfterMs ?? null };
      }
      if (result.rateLimit) await this.limiter.reported(provider, result.rateLimit);
    } catch (error) {
      this.logger.warn(
        `The limiter did not take the provider's signal: ${(error as Error).message}`,
      );
    }
    return throttle;
  }

  /**
   * Whether a provider of the route other than the one called may still take messages: one whose
   * breaker did not open on refused credentials. Asked when the one called refused ours; a Redis
   * that cannot answer counts as none left, as before routes (the batch fails).
   */
  private async anotherProviderLeft(routing: Routing): Promise<boolean> {
    const others = routing.providers.filter((name) => name !== routing.provider);
    if (!others.length) return false;
    try {
      const states = await this.breakers.states(others);
      return others.some((name) => !states.get(name)?.credentialsRefused);
    } catch {
      return false;
    }
  }

  /** Whether the claim is surely this worker's for `needMs` more (ClaimLeases); logs when not. */
  private async held(claim: HeldClaim, needMs: number): Promise<boolean> {
    if (await this.leases.ensure(claim, needMs)) return true;
    this.logger.warn(
      `The claim on message ${claim.seq} of batch ${claim.batchId} may run out before a call ends; it is not called and goes back.`,
    );
    return false;
  }

  /** Whether the batch's MESSAGE_VALIDITY_SECONDS have run out (for every zone, with a window). */
  private expired(batch: DispatchableBatch): boolean {
    return this.windows.expired(batch);
  }

  /**
   * An answer as a result to write: sent, failed for good, or pending again for a retry. Refused
   * credentials fail the batch only when its route has no other provider left; otherwise the
   * message goes again at once, to the next provider (the breaker opened on this answer).
   */
  private async toResult(
    batch: DispatchableBatch,
    message: ClaimedMessage,
    atMs: number,
    result: SendResult,
    routing: Routing,
  ): Promise<Omit<MessageResult, 'call'>> {
    const base = {
      batchId: batch.id,
      seq: message.seq,
      token: message.token,
      at: new Date(),
      resolution: result.resolution ? { ...result.resolution, at: new Date().toISOString() } : null,
      parts: result.parts ?? null,
      provider: reachedProvider(result) ? routing.provider : null,
      // An accepted message has no next call; a refused one stays unless the answer proves the
      // provider did not take it.
      pinned: result.accepted
        ? null
        : (message.pinned ?? (mayMove(result) ? null : routing.provider)),
    };
    if (result.accepted) {
      return {
        ...base,
        status: 'sent',
        sentAt: new Date(atMs),
        providerMessageId: result.providerMessageId,
        lastError: null,
        counted: true,
        nextAttemptAt: null,
        failsBatch: null,
      };
    }
    const { category } = result;
    const lastError = { category, code: result.code, message: result.message };
    // A message pinned to the provider that refused our credentials cannot move: it fails with
    // the batch, as with one provider.
    if (category === 'auth' && !base.pinned && (await this.anotherProviderLeft(routing))) {
      return {
        ...base,
        status: 'pending',
        sentAt: null,
        providerMessageId: null,
        lastError,
        counted: false,
        nextAttemptAt: base.at,
        failsBatch: null,
      };
    }
    const counted = CATEGORY_POLICIES[category].countsAsAttempt;
    const now = base.at.getTime();
    const decision = decideRetry(result, message.attempts + (counted ? 1 : 0), this.retry, {
      nowMs: now,
      validFromMs: batch.validFrom ? this.windows.validFromMs(batch, message.sendZone) : now,
      retryAfterMs: result.retryAfterMs,
    });
    return {
      ...base,
      status: decision.action === 'retry' ? 'pending' : 'failed',
      sentAt: null,
      providerMessageId: null,
      lastError,
      counted,
      nextAttemptAt: decision.action === 'retry' ? new Date(now + decision.delayMs) : null,
      failsBatch:
        decision.action === 'fail-batch'
          ? `The provider ${routing.provider} refused our credentials (${result.code}): ${result.message}`
          : null,
    };
  }
}

/** A claimed message as a held claim (ClaimLeases). */
function heldClaim(batch: DispatchableBatch, message: ClaimedMessage): HeldClaim {
  return { batchId: batch.id, seq: message.seq, token: message.token };
}

/**
 * Where the next round starts: the first candidate not yet dealt with (claimed, or passed over),
 * else after the last one, else nowhere when fewer than asked for came (nothing else is claimable).
 */
function nextCursor(
  candidates: readonly ClaimCandidate[],
  limit: number,
  dealtWith: ReadonlySet<number>,
): number | null {
  const left = candidates.find(({ seq }) => !dealtWith.has(seq));
  if (left) return left.seq;
  return candidates.length < limit ? null : candidates[candidates.length - 1].seq + 1;
}

/** The earliest moment a breaker some waiting message needs may let a probe through. */
function earliestProbe(plan: Plan, until: number | null): number {
  let earliest = until ?? Infinity;
  for (const status of plan.breakers.values()) {
    if (status.state !== 'closed' && status.reopensAt) {
      earliest = Math.min(earliest, status.reopensAt.getTime());
    }
  }
  return earliest === Infinity ? Date.now() : earliest;
}

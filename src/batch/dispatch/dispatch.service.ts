import { Inject, Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  retryConfig,
  smsConfig,
  type RetryConfig,
  type SmsConfig,
} from '../../config/configuration';
import { CATEGORY_POLICIES } from '../../errors/error-taxonomy';
import { decideRetry } from '../../errors/retry-policy';
import { MetricsService } from '../../metrics/metrics.service';
import type { CallObservation } from '../analytics/call-stats';
import { BatchEvents } from '../events/batch-events';
import { RateLimiter } from '../../rate-limit/rate-limiter';
import { callProvider, reachedProvider } from '../../sms/provider-call';
import { SMS_PROVIDER, type SendResult, type SmsProvider } from '../../sms/sms-provider';
import { parseTemplate, renderStoredMessage, type ParsedTemplate } from '../../template/template';
import { BatchStatusCache } from './batch-status.cache';
import { chunkEnd, SLICE_MS, type ChunkJob } from './dispatch.jobs';
import { DispatchProducer } from './dispatch.producer';
import {
  DispatchRepository,
  type ClaimedMessage,
  type DispatchableBatch,
  type MessageResult,
} from './dispatch.repository';
import { ResultWriterService } from './result-writer.service';

/** Thrown by a chunk job on a draining worker, so Bull hands the job to another worker. */
export class WorkerDraining extends Error {
  constructor() {
    super('This worker is shutting down; the chunk goes back to the queue.');
    this.name = 'WorkerDraining';
  }
}

/** A permit for one message: when it may go, how long until then, how long it was waited for. */
interface Permit {
  atMs: number;
  delayMs: number;
  waitMs: number;
}

/** How a chunk job's loop ended, which decides what it queues next. */
type Outcome = 'exhausted' | 'sliced' | 'stopped' | 'draining';

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
    @Inject(SMS_PROVIDER) private readonly provider: SmsProvider,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
    @Inject(retryConfig.KEY) private readonly retry: RetryConfig,
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
    const { outcome, next } = await this.sendChunk(batch, job, end);
    switch (outcome) {
      case 'draining':
        throw new WorkerDraining();
      case 'stopped':
        return;
      case 'sliced':
        return this.producer.continueAt(batch.priority, job, next);
      case 'exhausted': {
        // Messages passed over while another claim locked them may be free again now; retries
        // due later, and claims another worker still holds (it may have died), when their time
        // comes. A recheck looks at the chunk again then; meanwhile the lane moves on.
        const missed = await this.repository.nextClaimable(batch.id, start, end);
        const dueInMs =
          missed !== null ? 0 : await this.repository.nextDueInMs(batch.id, start, end);
        if (dueInMs !== null) await this.producer.recheckAfter(batch.priority, job, dueInMs + 100);
        return this.producer.advance(batch.priority, job);
      }
    }
  }

  private async sendChunk(
    batch: DispatchableBatch,
    job: ChunkJob,
    end: number,
  ): Promise<{ outcome: Outcome; next: number }> {
    const { template } = parseTemplate(batch.text);
    const deadline = Date.now() + SLICE_MS;
    const sends = new Set<Promise<void>>();
    const unsent: (ClaimedMessage & { inDoubt?: boolean })[] = [];
    let cursor = await this.repository.nextClaimable(batch.id, job.from, end);
    let outcome: Outcome = 'exhausted';
    let askingSince: number | undefined;
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
        if ((await this.statuses.get(batch.id)) !== 'processing') {
          outcome = 'stopped';
          break;
        }
        // The wait for a permit counts from when the loop first asked for it.
        askingSince ??= Date.now();
        const permits = await this.limiter.acquire(batch.id, batch.priority, {
          provider: this.sms.provider,
          segments: Array<number>(end - cursor).fill(1),
        });
        if (!permits.count) {
          await sleep(permits.waitMs);
          continue;
        }
        const claimed = await this.repository.claim(batch.id, cursor, end, permits.count);
        const waitedFrom = askingSince;
        askingSince = undefined;
        const after = claimed.length ? claimed[claimed.length - 1].seq + 1 : end;
        cursor = claimed.length < permits.count || after >= end ? null : after;
        claimed.forEach((message, i) => {
          const permit = {
            atMs: permits.atMs[i],
            delayMs: permits.delaysMs[i],
            waitMs: Math.max(0, permits.atMs[i] - waitedFrom),
          };
          const send = this.sendAt(batch, template, message, permit)
            .then((sent) => {
              if (sent !== 'written') unsent.push({ ...message, inDoubt: sent === 'in-doubt' });
            })
            .catch((error: Error) => {
              // Left claimed: the lease runs out and the message is claimed again (callProvider).
              this.logger.error(
                `Sending message ${message.id} failed: ${error.message}`,
                error.stack,
              );
            })
            .finally(() => sends.delete(send));
          sends.add(send);
        });
      }
    } finally {
      await Promise.allSettled([...sends]);
      if (unsent.length) {
        // A re-claim this worker did not get to resolve stays in doubt for the next claim.
        const claims = unsent.map(({ seq, token, reclaimed, inDoubt }) => ({
          seq,
          token,
          unresolved: inDoubt || (reclaimed && !this.provider.idempotent),
        }));
        await this.repository.release(batch.id, claims).then(
          // A stopped batch's counters moved: its followers see the messages cancelled.
          ({ cancelled }) =>
            cancelled && this.events.progressed([{ id: batch.id, accountId: batch.accountId }]),
          (error: Error) =>
            this.logger.error(`Releasing ${unsent.length} claims failed: ${error.message}`),
        );
      }
      await this.results.flush();
    }
    return { outcome, next: cursor ?? end };
  }

  /**
   * Sends one claimed message at its permit's time, and adds its result to write. `unsent` when
   * the batch stopped meanwhile; `in-doubt` when a resolution could not read or reserve provider
   * message ids in PostgreSQL (a passing error): nothing was sent after that, so the message is
   * left to the next claim to resolve again rather than written OUTCOME_UNKNOWN for good.
   */
  private async sendAt(
    batch: DispatchableBatch,
    template: ParsedTemplate,
    message: ClaimedMessage,
    { atMs, delayMs, waitMs }: Permit,
  ): Promise<'written' | 'unsent' | 'in-doubt'> {
    if (delayMs >= 1) await sleep(delayMs);
    if ((await this.statuses.get(batch.id)) !== 'processing' || this.expired(batch)) {
      return 'unsent';
    }
    const calledAt = performance.now();
    const validFromMs = batch.validFrom?.getTime() ?? Date.now();
    const self = { batchId: batch.id, seq: message.seq };
    let lookupsFailed = false;
    const noted = <T>(work: Promise<T>) =>
      work.catch((error: unknown) => {
        lookupsFailed = true;
        throw error;
      });
    const result = await callProvider(
      this.provider,
      {
        messageId: message.id,
        idempotencyKey: message.id,
        to: message.phoneNumber,
        body: renderStoredMessage(template, message.variables),
        attempt: message.token,
        // Every call of this message came after its batch first started, a moment never moved
        // (a reopening moves validFrom, not this), so a lookup from there misses none of them.
        since: batch.callsSince,
        validUntil: new Date(validFromMs + this.retry.validityMs),
        // A long message some of whose parts went before: the call sends only the others.
        ...(message.parts && { parts: message.parts }),
      },
      {
        timeoutMs: this.sms.timeoutMs,
        reclaimed: message.reclaimed,
        lookups: {
          taken: (ids) => noted(this.repository.takenProviderMessageIds(ids, self)),
          adopt: (sid) => noted(this.repository.adopt(sid, self)),
        },
      },
    );
    if (lookupsFailed && !result.accepted) {
      this.logger.warn(
        `Resolving message ${message.id} stopped on a database error; the next claim resolves it again.`,
      );
      return 'in-doubt';
    }
    const latencyMs = performance.now() - calledAt;
    const throttle = await this.observe(result);
    const written = this.toResult(batch, message, atMs, result);
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
        provider: this.sms.provider,
        waitMs,
        latencyMs,
        throttle,
        rateLimit: result.rateLimit ?? null,
      },
    });
    return 'written';
  }

  /**
   * The provider's rate-limit signals go to the limiter: a 429 pauses, reported limits slow.
   * Answers what a 429 did, for the analytics.
   */
  private async observe(result: SendResult): Promise<CallObservation['throttle']> {
    let throttle: CallObservation['throttle'] = null;
    try {
      if (!result.accepted && result.category === 'rate_limited' && !result.local) {
        const { pausedMs } = await this.limiter.throttled(this.sms.provider, result.retryAfterMs);
        throttle = { pausedMs, retryAfterMs: result.retryAfterMs ?? null };
      }
      if (result.rateLimit) await this.limiter.reported(this.sms.provider, result.rateLimit);
    } catch (error) {
      this.logger.warn(
        `The limiter did not take the provider's signal: ${(error as Error).message}`,
      );
    }
    return throttle;
  }

  /** Whether the batch's MESSAGE_VALIDITY_SECONDS have run out. */
  private expired(batch: DispatchableBatch): boolean {
    return !!batch.validFrom && Date.now() > batch.validFrom.getTime() + this.retry.validityMs;
  }

  /** An answer as a result to write: sent, failed for good, or pending again for a retry. */
  private toResult(
    batch: DispatchableBatch,
    message: ClaimedMessage,
    atMs: number,
    result: SendResult,
  ): Omit<MessageResult, 'call'> {
    const base = {
      batchId: batch.id,
      seq: message.seq,
      token: message.token,
      at: new Date(),
      resolution: result.resolution ? { ...result.resolution, at: new Date().toISOString() } : null,
      parts: result.parts ?? null,
      provider: reachedProvider(result) ? this.sms.provider : null,
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
    const counted = CATEGORY_POLICIES[category].countsAsAttempt;
    const now = base.at.getTime();
    const decision = decideRetry(result, message.attempts + (counted ? 1 : 0), this.retry, {
      nowMs: now,
      validFromMs: batch.validFrom?.getTime() ?? now,
      retryAfterMs: result.retryAfterMs,
    });
    return {
      ...base,
      status: decision.action === 'retry' ? 'pending' : 'failed',
      sentAt: null,
      providerMessageId: null,
      lastError: { category, code: result.code, message: result.message },
      counted,
      nextAttemptAt: decision.action === 'retry' ? new Date(now + decision.delayMs) : null,
      failsBatch:
        decision.action === 'fail-batch'
          ? `The provider refused our credentials (${result.code}): ${result.message}`
          : null,
    };
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dispatchConfig,
  smsConfig,
  type DispatchConfig,
  type SmsConfig,
} from '../../config/configuration';
import { categoryOf } from '../../errors/error-taxonomy';
import { RateLimiter } from '../../rate-limit/rate-limiter.service';
import { sendWithTimeout } from '../../sms/provider-call';
import { SMS_PROVIDER, type SendResult, type SmsProvider } from '../../sms/sms-provider';
import { parseTemplate, renderTemplate, type ParsedTemplate } from '../../template/template';
import { BatchStatusCache } from './batch-status.cache';
import type { ChunkJob } from './dispatch.jobs';
import {
  DispatchRepository,
  type ClaimedMessage,
  type DispatchableBatch,
  type MessageResult,
} from './dispatch.repository';
import { ResultWriter } from './result-writer.service';

/** Thrown by a chunk job on a draining worker, so Bull hands the job to another worker. */
export class WorkerDraining extends Error {
  constructor() {
    super('This worker is shutting down; the chunk goes back to the queue.');
    this.name = 'WorkerDraining';
  }
}

/**
 * Sends a chunk of a batch's messages: permits from the shared limiter first, then claims for
 * exactly that many messages, then the provider calls at the permits' times. Claims are held only
 * for the moment of sending, so a slow limiter never lets a lease run out.
 */
@Injectable()
export class DispatchService {
  private draining = false;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly repository: DispatchRepository,
    private readonly limiter: RateLimiter,
    private readonly results: ResultWriter,
    private readonly statuses: BatchStatusCache,
    @Inject(SMS_PROVIDER) private readonly provider: SmsProvider,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
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

  /** Stops taking work, lets calls in flight finish and writes their results. */
  async drain(): Promise<void> {
    this.draining = true;
    await Promise.allSettled([...this.running]);
    await this.results.flush();
  }

  private async run(job: ChunkJob): Promise<void> {
    const batch = await this.repository.batch(job.batchId);
    if (batch?.status !== 'processing') return;
    const { template } = parseTemplate(batch.text);
    const sends = new Set<Promise<void>>();
    try {
      for (let exhausted = false; !exhausted;) {
        if (this.draining) throw new WorkerDraining();
        if ((await this.statuses.get(batch.id)) !== 'processing') break;
        const permits = await this.limiter.acquire(batch.id, batch.priority, job.to - job.from);
        if (!permits.count) {
          await sleep(permits.waitMs);
          continue;
        }
        const claimed = await this.repository.claim(job, permits.count);
        exhausted = claimed.length < permits.count;
        claimed.forEach((message, i) => {
          const send = this.sendAt(batch, template, message, permits.atMs[i], permits.delaysMs[i]);
          sends.add(send);
          void send.finally(() => sends.delete(send));
        });
      }
    } finally {
      await Promise.allSettled([...sends]);
      await this.results.flush();
    }
  }

  private async sendAt(
    batch: DispatchableBatch,
    template: ParsedTemplate,
    message: ClaimedMessage,
    atMs: number,
    delayMs: number,
  ): Promise<void> {
    if (delayMs >= 1) await sleep(delayMs);
    if ((await this.statuses.get(batch.id)) !== 'processing') {
      await this.repository.release(batch.id, [message]);
      return;
    }
    const result = await sendWithTimeout(
      this.provider,
      {
        messageId: message.id,
        idempotencyKey: message.id,
        to: message.phoneNumber,
        body: renderTemplate(template, message.variables).rendered,
        attempt: message.token,
      },
      this.sms.timeoutMs,
    );
    this.results.add(toResult(batch.id, message, atMs, result));
  }
}

/** For now every rejection is final; the errors issue adds retries by category. */
function toResult(
  batchId: string,
  message: ClaimedMessage,
  atMs: number,
  result: SendResult,
): MessageResult {
  const base = { batchId, seq: message.seq, token: message.token };
  if (result.accepted) {
    return {
      ...base,
      status: 'sent',
      sentAt: new Date(atMs),
      providerMessageId: result.providerMessageId,
      lastError: null,
      counted: true,
    };
  }
  const category = categoryOf(result.code);
  return {
    ...base,
    status: 'failed',
    sentAt: null,
    providerMessageId: null,
    lastError: { category, code: result.code, message: result.message },
    counted: category !== 'rate_limited',
  };
}

import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import {
  redisConfig,
  smsConfig,
  type RedisConfig,
  type SmsConfig,
} from '../../config/configuration';
import { REDIS, redisKey } from '../../redis/redis.module';
import { RECEIPT_RANKS, RECEIPT_RECORDER, type ReceiptRecorder } from '../receipts';
import type { ProviderRateLimit, SendRequest, SendResult, SmsProvider } from '../sms-provider';
import { SIMULATOR_CODES } from './simulator-codes';
import { isScripted, scriptedOutcome, scriptedReceipt } from './simulator-script';
import { SimulatorLedger } from './simulator-ledger';

/** INCR of this second's counter (KEYS[1]:<unix second>); answers the count and µs into the second. */
const COUNT_THIS_SECOND = `
local time = redis.call('TIME')
local key = KEYS[1] .. ':' .. time[1]
local count = redis.call('INCR', key)
redis.call('EXPIRE', key, 2)
return {count, tonumber(time[2])}
`;

/**
 * The default provider: answers like a real one (README, "The simulated provider"), honours the
 * idempotency key, and records what it accepted in PostgreSQL, which is how tests prove that every
 * message was accepted exactly once. With SIMULATOR_RECEIPTS it also sends delivery receipts,
 * SIMULATOR_DLR_DELAY_MS after an acceptance, from the process that sent the message: a timer in
 * memory, so a receipt due when the process stops is lost (the message stays `awaiting` until
 * DELIVERY_RECEIPT_TIMEOUT_HOURS).
 */
@Injectable()
export class SimulatedSmsProvider implements SmsProvider, OnApplicationShutdown {
  /** Its ledger accepts an idempotency key once; a repeat answers the first acceptance. */
  readonly idempotent = true;
  private readonly logger = new Logger(SimulatedSmsProvider.name);
  private readonly receiptTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ledger: SimulatorLedger,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(smsConfig.KEY) private readonly config: SmsConfig,
    @Inject(redisConfig.KEY) private readonly redisSettings: RedisConfig,
    @Inject(RECEIPT_RECORDER) private readonly receipts: ReceiptRecorder,
  ) {}

  onApplicationShutdown(): void {
    for (const timer of this.receiptTimers) clearTimeout(timer);
    this.receiptTimers.clear();
  }

  async send(request: SendRequest): Promise<SendResult> {
    const { latencyMs, failureRate } = this.config.simulator;
    if (latencyMs > 0) await sleep(latencyMs);
    const rateLimit = await this.countAgainstLimit();
    if (rateLimit && rateLimit.remaining < 0) {
      return {
        accepted: false,
        category: SIMULATOR_CODES.SIM_RATE_LIMITED,
        code: 'SIM_RATE_LIMITED',
        message: `More than ${rateLimit.limit} messages in this second.`,
        retryAfterMs: rateLimit.resetMs,
        rateLimit: { ...rateLimit, remaining: 0 },
      };
    }
    const limits = rateLimit ? { rateLimit } : {};

    if (isScripted(request.to)) {
      const outcome = scriptedOutcome(
        request.to,
        await this.ledger.countCall(request.idempotencyKey),
      );
      if (outcome.kind === 'reject') {
        const { code, message, retryAfterMs } = outcome;
        return {
          accepted: false,
          category: SIMULATOR_CODES[code],
          code,
          message,
          ...(retryAfterMs ? { retryAfterMs } : {}),
          ...limits,
        };
      }
      if (outcome.kind === 'hang') {
        // Answer only after the caller gave up; the message was nonetheless accepted.
        await sleep(this.config.timeoutMs + 100);
      }
    } else if (failureRate > 0 && Math.random() < failureRate) {
      return {
        accepted: false,
        category: SIMULATOR_CODES.SIM_PROVIDER_ERROR,
        code: 'SIM_PROVIDER_ERROR',
        message: 'Random transient failure.',
        ...limits,
      };
    }

    const { providerMessageId } = await this.ledger.accept(
      request.idempotencyKey,
      request.to,
      request.body,
    );
    this.sendReceiptLater(request.to, providerMessageId);
    return { accepted: true, providerMessageId, ...limits };
  }

  /**
   * The delivery receipt of an acceptance, SIMULATOR_DLR_DELAY_MS later (README, "The simulated
   * provider"). A replay of the key sends it again: a duplicate receipt changes nothing.
   */
  private sendReceiptLater(to: string, providerMessageId: string): void {
    const { receipts, dlrDelayMs } = this.config.simulator;
    const receipt = scriptedReceipt(to);
    if (!receipts || receipt.kind === 'none') return;
    const timer = setTimeout(() => {
      this.receiptTimers.delete(timer);
      const undelivered = receipt.kind === 'undelivered';
      this.receipts
        .record([
          {
            provider: 'simulated',
            providerMessageId,
            status: undelivered ? 'undelivered' : 'delivered',
            rank: RECEIPT_RANKS.final,
            outcome: undelivered ? 'undelivered' : 'delivered',
            error: undelivered
              ? {
                  category: SIMULATOR_CODES[receipt.code],
                  code: receipt.code,
                  message: receipt.message,
                }
              : null,
            receivedAt: new Date(),
          },
        ])
        .catch((error: Error) =>
          this.logger.warn(`Could not record a simulated receipt: ${error.message}`),
        );
    }, dlrDelayMs);
    this.receiptTimers.add(timer);
  }

  /** A replay: the ledger answers the first acceptance of the key and sends nothing new. */
  resolve(request: SendRequest): Promise<SendResult> {
    return this.send(request);
  }

  /**
   * SIMULATOR_MAX_MPS: calls per second, counted in Redis across every process (a fixed one-second
   * window, like many real providers). Null when unlimited; `remaining` below 0 means over.
   */
  private async countAgainstLimit(): Promise<ProviderRateLimit | null> {
    const limit = this.config.simulator.maxMps;
    if (limit === 0) return null;
    // On Redis's clock, so every process counts the same second.
    const [count, microsIntoSecond] = (await this.redis.eval(
      COUNT_THIS_SECOND,
      1,
      redisKey(this.redisSettings, 'simulator', 'mps'),
    )) as [number, number];
    return {
      limit,
      remaining: limit - count,
      resetMs: Math.ceil((1_000_000 - microsIntoSecond) / 1000),
    };
  }
}

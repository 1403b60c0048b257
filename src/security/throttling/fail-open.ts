// Throttles ask Redis before letting a request through; when Redis cannot answer they let it
// through instead. Redis holds no data whose loss may stop sending, so an outage must not stop the
// API either.
import { withTimeout } from '../../common/with-timeout';

/**
 * How long a request waits for a throttle's answer from Redis. The shared client queues commands
 * while it reconnects; the limiters refuse at once when it is not ready (rejectIfRedisNotReady),
 * so this only bounds the moments before the client notices a dead connection.
 */
export const THROTTLE_REDIS_TIMEOUT_MS = 500;

/**
 * After a call failed, the throttles do not ask Redis for this long: during an outage where
 * Redis is silent rather than refused, only one request in this time pays the timeout.
 */
export const THROTTLE_RETRY_MS = 1_000;

export interface OutageLogger {
  warn(message: string): void;
  log(message: string): void;
}

/**
 * Runs throttle calls to Redis; an error or a late answer is `undefined`, logged once per outage,
 * and for THROTTLE_RETRY_MS after one every call is `undefined` at once.
 */
export class FailOpen {
  private down = false;
  private skipUntil = 0;

  constructor(
    private readonly logger: OutageLogger,
    private readonly timeoutMs = THROTTLE_REDIS_TIMEOUT_MS,
    private readonly retryMs = THROTTLE_RETRY_MS,
  ) {}

  async run<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (Date.now() < this.skipUntil) return undefined;
    try {
      const answer = await withTimeout(call(), this.timeoutMs);
      if (this.down) {
        this.down = false;
        this.logger.log('Redis answers the throttles again; they are enforced.');
      }
      return answer;
    } catch (error) {
      this.skipUntil = Date.now() + this.retryMs;
      if (!this.down) {
        this.down = true;
        this.logger.warn(
          `Redis did not answer a throttle (${(error as Error).message}); requests pass unthrottled until it does.`,
        );
      }
      return undefined;
    }
  }
}

import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Emitter } from '@socket.io/redis-emitter';
import type Redis from 'ioredis';
import { redisConfig, type RedisConfig } from '../../config/configuration';
import type { ErrorCategory } from '../../errors/error-taxonomy';
import { REDIS } from '../../redis/redis.module';
import type { BatchStatusDto } from '../dto/batch-status.dto';
import {
  BATCH_NAMESPACE,
  NOTICE_EVENT,
  socketIoKey,
  type BatchNoticeKind,
  type BatchNoticeMap,
  type BatchRef,
} from './batch-notices';

/** How often a process that lost notices tries to say so while Redis is away. */
const LOST_RETRY_MS = 1_000;

/**
 * Publishes the batch domain's notices (batch-notices.ts) to every API process, whichever process this is (worker, API or both),
 * through the Socket.IO Redis emitter: the API processes' Redis adapter hands them to the
 * relay as server-side events. Publishing never throws into the caller: notices lost while Redis
 * is away are caught up by each API process's relay once Redis is back (batch-event.relay.ts).
 */
@Injectable()
export class BatchEvents implements OnApplicationShutdown {
  private readonly logger = new Logger(BatchEvents.name);
  private readonly emitter: Emitter;
  /** When the first notice was lost, while they are being lost. */
  private lostSince?: Date;
  /** Tries to say `lost` while Redis is away, so that it is said once Redis is back. */
  private telling?: NodeJS.Timeout;

  constructor(@Inject(REDIS) redis: Redis, @Inject(redisConfig.KEY) config: RedisConfig) {
    // The emitter does not wait for its publish; this client catches what would be unhandled.
    const client = {
      publish: (channel: string, message: string | Buffer) =>
        redis.publish(channel, message).then(
          () => this.delivered(),
          (error: Error) => this.lost(error),
        ),
    };
    this.emitter = new Emitter(client, { key: socketIoKey(config.prefix) }).of(BATCH_NAMESPACE);
  }

  onApplicationShutdown(): void {
    clearInterval(this.telling);
  }

  progressed(batches: readonly BatchRef[]): void {
    if (batches.length) this.publish('progress', { batches: [...batches] });
  }

  statusChanged(accountId: string, batch: BatchStatusDto): void {
    this.publish('status', { accountId, batch });
  }

  errorAppeared(accountId: string, batchId: string, category: ErrorCategory): void {
    this.publish('error', { accountId, batchId, category });
  }

  private publish<K extends BatchNoticeKind>(kind: K, payload: BatchNoticeMap[K]): void {
    this.emitter.serverSideEmit(NOTICE_EVENT, { kind, ...payload });
  }

  /**
   * A notice did not reach Redis. The first time, says so, and from then on tries every second to
   * publish `lost`, which the API processes answer by reading again what their sockets follow
   * (batch-event.relay.ts): the notices lost meanwhile are caught up once Redis is back.
   */
  private lost(error: Error): void {
    if (this.lostSince) return;
    this.lostSince = new Date();
    this.logger.warn(`Batch notices are not reaching Redis: ${error.message}`);
    const since = this.lostSince.toISOString();
    this.telling = setInterval(() => this.publish('lost', { since }), LOST_RETRY_MS).unref();
  }

  /** A notice reached Redis: if some were lost before it, `lost` has been (or is now) said. */
  private delivered(): void {
    if (!this.lostSince) return;
    const since = this.lostSince.toISOString();
    this.lostSince = undefined;
    clearInterval(this.telling);
    this.telling = undefined;
    this.logger.log('Batch notices reach Redis again; followers catch up on the lost ones.');
    this.publish('lost', { since });
  }
}

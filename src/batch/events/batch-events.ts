import { Inject, Injectable, Logger } from '@nestjs/common';
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

/**
 * Publishes the batch domain's notices (batch-notices.ts) to every API process, whichever process this is (worker, API or both),
 * through the Socket.IO Redis emitter: the API processes' Redis adapter hands them to the
 * relay as server-side events. Publishing never throws into the caller: notices lost while Redis
 * is away are caught up by each API process's relay once Redis is back (batch-event.relay.ts).
 */
@Injectable()
export class BatchEvents {
  private readonly logger = new Logger(BatchEvents.name);
  private readonly emitter: Emitter;
  private failing = false;

  constructor(@Inject(REDIS) redis: Redis, @Inject(redisConfig.KEY) config: RedisConfig) {
    // The emitter does not wait for its publish; this client catches what would be unhandled.
    const client = {
      publish: (channel: string, message: string | Buffer) =>
        redis.publish(channel, message).then(
          () => (this.failing = false),
          (error: Error) => this.warnOnce(error),
        ),
    };
    this.emitter = new Emitter(client, { key: socketIoKey(config.prefix) }).of(BATCH_NAMESPACE);
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

  private warnOnce(error: Error): void {
    if (!this.failing) this.logger.warn(`Batch notices are not reaching Redis: ${error.message}`);
    this.failing = true;
  }
}

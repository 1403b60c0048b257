// Bull's queues report Redis errors as 'error' events, which Bull itself swallows: here they reach
// the log, a lost connection once in a while rather than once per reconnection attempt.
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import Bull, { type Queue } from 'bull';
import { isUnavailable } from '../errors/unavailable';

/** A queue that cannot reach Redis says so at most this often. */
export const OUTAGE_LOG_EVERY_MS = 30_000;

/** Logs the errors of every Bull queue of the process. */
@Injectable()
export class QueueErrors implements OnApplicationBootstrap {
  private readonly logger = new Logger('Queues');

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    for (const { instance } of this.discovery.getProviders()) {
      if (instance instanceof Bull) this.watch(instance);
    }
  }

  private watch(queue: Queue): void {
    let quietUntil = 0;
    queue.on('error', (error: Error) => {
      if (!isUnavailable(error)) {
        this.logger.error(`Queue ${queue.name}: ${error.message}`, error.stack);
        return;
      }
      if (Date.now() < quietUntil) return;
      quietUntil = Date.now() + OUTAGE_LOG_EVERY_MS;
      this.logger.warn(
        `Queue ${queue.name} cannot reach Redis (${error.message}); it reconnects by itself.`,
      );
    });
  }
}

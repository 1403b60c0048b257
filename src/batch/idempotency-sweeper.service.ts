import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task';
import { IdempotencyService } from './idempotency.service';

const SWEEP_EVERY_MS = 60_000;
/** Keys deleted per statement: a sweep after a long outage does not hold one huge delete. */
const SWEEP_STEP = 10_000;

/**
 * Worker processes, every minute: deletes Idempotency-Keys past IDEMPOTENCY_TTL_HOURS and claims
 * whose request died (lease run out), so the table holds about a day of keys. Rows are skipped
 * while locked, so several workers sweeping at once only share the work.
 */
@Injectable()
export class IdempotencySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencySweeper.name);
  private readonly task = new PeriodicTask(
    'Idempotency-Key sweep',
    SWEEP_EVERY_MS,
    () => this.sweep(),
    this.logger,
  );

  constructor(private readonly idempotency: IdempotencyService) {}

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** One pass; answers how many keys it deleted. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.idempotency.sweep(SWEEP_STEP);
      total += deleted;
      if (deleted < SWEEP_STEP) break;
    }
    if (total) this.logger.log(`Swept ${total} expired Idempotency-Key(s)`);
    return total;
  }
}

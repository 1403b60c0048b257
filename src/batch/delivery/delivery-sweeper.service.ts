import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  deliveryConfig,
  dispatchConfig,
  type DeliveryConfig,
  type DispatchConfig,
} from '../../config/configuration';
import { MetricsService } from '../../metrics/metrics.service';
import { BatchEvents } from '../events/batch-events';
import { PeriodicTask } from '../../common/periodic-task';
import { ReceiptsRepository } from './receipts.repository';
import { logUnapplied, publishReceipts } from './receipts.service';

/**
 * Worker processes, every RECONCILE_INTERVAL_MS: applies kept receipts whose message now exists
 * (a receipt and its send result committed at the same moment miss each other; docs/ARCHITECTURE.md,
 * "Delivery"), deletes the ones past RECEIPT_ORPHAN_TTL_HOURS, and marks `unknown` the messages
 * whose final receipt did not come within DELIVERY_RECEIPT_TIMEOUT_HOURS. The timeout step runs
 * at most once a minute (or every tenth of the timeout, when shorter): a batch of a million
 * awaiting messages is not rescanned every few seconds for an hours-long timeout. Every step is a
 * conditional update under the batch row locks, so several workers sweeping at once is safe.
 */
@Injectable()
export class DeliverySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliverySweeper.name);
  private readonly task: PeriodicTask;
  /** When the timeout step last ran (Date.now()). */
  private timedOutAt = -Infinity;
  /** Expired kept receipts whose message exists, as last logged. */
  private unapplied = 0;

  constructor(
    private readonly repository: ReceiptsRepository,
    private readonly events: BatchEvents,
    private readonly metrics: MetricsService,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
    @Inject(deliveryConfig.KEY) private readonly delivery: DeliveryConfig,
  ) {
    this.task = new PeriodicTask(
      'Delivery sweep',
      config.reconcileIntervalMs,
      () => this.sweep(),
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** One pass. */
  async sweep(): Promise<void> {
    // Kept receipts younger than two sweep intervals are being applied by the process that kept
    // them; sweeping them too would only contend for their batches' locks.
    const graceMs = 2 * this.config.reconcileIntervalMs;
    const { outcomes, unapplied } = await this.repository.applyOrphans(graceMs);
    for (const outcome of outcomes) publishReceipts(outcome, this.events, this.metrics);
    logUnapplied(this.logger, unapplied);
    const expired = await this.repository.deleteExpiredOrphans();
    if (expired.dropped) {
      this.logger.log(`Dropped ${expired.dropped} receipt(s) whose message never appeared`);
    }
    // Expired receipts whose message exists stay (docs/ARCHITECTURE.md, "Delivery"); said again
    // only when their number changes.
    if (expired.unapplied !== this.unapplied) {
      this.unapplied = expired.unapplied;
      if (expired.unapplied) {
        this.logger.warn(
          `${expired.unapplied} receipt(s) past RECEIPT_ORPHAN_TTL_HOURS could not be applied to their message (kept in pending_receipts; see the earlier apply errors)`,
        );
      }
    }
    const timeoutEveryMs = Math.min(60_000, this.delivery.receiptTimeoutMs / 10);
    if (Date.now() - this.timedOutAt < timeoutEveryMs) return;
    this.timedOutAt = Date.now();
    const timedOut = await this.repository.timeOutAwaiting();
    this.events.progressed(timedOut);
  }
}

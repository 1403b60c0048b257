import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { HelpReplyProducer } from './help-reply.producer';
import { HelpReplyService } from './help-reply.service';

/** How long a worker stopping waits for the replies in their call (within its 10 s to exit). */
const DRAIN_MS = 2_000;
/** How often a worker looks for replies whose job was never queued. */
const SWEEP_MS = 60_000;
/** Replies sent at once by one worker: each is one provider call. */
const CONCURRENCY = 4;

/**
 * The Bull consumer of the HELP replies, on worker processes only: unpacks a job and hands it to
 * the HelpReplyService; and the sweep that queues again the replies that never got a job.
 */
@Injectable()
export class HelpReplyProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(HelpReplyProcessor.name);
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly producer: HelpReplyProducer,
    private readonly replies: HelpReplyService,
  ) {}

  onApplicationBootstrap(): void {
    this.producer
      .queue()
      .process(CONCURRENCY, async (job) => {
        await this.replies.send(job.data.inboundId);
      })
      .catch((error: Error) =>
        this.logger.error(`The help-replies queue stopped: ${error.message}`),
      );
    this.sweep = setInterval(() => {
      this.replies
        .requeueStranded()
        .catch((error: Error) =>
          this.logger.warn(`Stranded HELP replies could not be queued again: ${error.message}`),
        );
    }, SWEEP_MS);
    this.sweep.unref();
  }

  /**
   * SIGTERM: this process takes no more replies, and a reply in its call gets DRAIN_MS to finish
   * and be recorded (before the SMPP binds close); one cut off stays reported as OUTCOME_UNKNOWN.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    const paused = this.producer
      .queue()
      .pause(true, false)
      .catch(() => undefined);
    await Promise.race([paused, sleep(DRAIN_MS, undefined, { ref: false })]);
  }
}

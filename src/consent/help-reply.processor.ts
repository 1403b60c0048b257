import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HelpReplyProducer } from './help-reply.producer';
import { HelpReplyService } from './help-reply.service';

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

  /** SIGTERM: this process takes no more replies; one in its call finishes and is recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await this.producer
      .queue()
      .pause(true, true)
      .catch(() => undefined);
  }
}

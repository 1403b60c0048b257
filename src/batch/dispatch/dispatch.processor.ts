import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { PRIORITIES } from '../../rate-limit/tier-rates';
import { DispatchProducer } from './dispatch.producer';
import { DispatchService } from './dispatch.service';

/**
 * The Bull consumer of the three dispatch queues, on worker processes only: unpacks a chunk job and
 * hands it to the DispatchService. Concurrency comes from DISPATCH_CONCURRENCY, so it is wired here
 * rather than with @Process decorators.
 */
const DRAIN_MS = 7_000;

@Injectable()
export class DispatchProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DispatchProcessor.name);

  constructor(
    private readonly producer: DispatchProducer,
    private readonly dispatch: DispatchService,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const priority of PRIORITIES) {
      this.producer
        .queue(priority)
        .process(this.config.concurrency, (job) => this.dispatch.processChunk(job.data))
        .catch((error: Error) =>
          this.logger.error(`The ${priority} queue stopped: ${error.message}`),
        );
    }
  }

  /**
   * SIGTERM: stop fetching chunks (this process only), let calls in flight finish and write their
   * results, well within the 10 s a worker has to exit. Claims not finished by then run out.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(
      PRIORITIES.map((p) =>
        this.producer
          .queue(p)
          .pause(true, true)
          .catch(() => undefined),
      ),
    );
    await this.dispatch.drain(DRAIN_MS);
  }
}

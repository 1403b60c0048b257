import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { PRIORITIES } from '../entities/batch.entity';
import { DispatchProducer } from './dispatch.producer';
import { DispatchService } from './dispatch.service';

/**
 * The Bull consumer of the three dispatch queues, on worker processes only: unpacks a chunk job and
 * hands it to the DispatchService. Concurrency comes from DISPATCH_CONCURRENCY, so it is wired here
 * rather than with @Process decorators.
 */
@Injectable()
export class DispatchProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly producer: DispatchProducer,
    private readonly dispatch: DispatchService,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {}

  onApplicationBootstrap(): void {
    for (const priority of PRIORITIES) {
      void this.producer
        .queue(priority)
        .process(this.config.concurrency, (job) => this.dispatch.processChunk(job.data));
    }
  }

  /** SIGTERM: stop taking chunks and finish what is in flight before the queues close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatch.drain();
  }
}

import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bull';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import type { Priority } from '../entities/batch.entity';
import {
  batchIdOfJob,
  chunkJobId,
  chunkJobs,
  DISPATCH_QUEUES,
  type ChunkJob,
} from './dispatch.jobs';

export interface QueueableBatch {
  id: string;
  priority: Priority;
  total: number;
  generation: number;
}

/** Attempts of a chunk job: a draining worker hands its job back by failing it once. */
const CHUNK_ATTEMPTS = 20;

/** The only place that queues dispatch work and builds its job options. */
@Injectable()
export class DispatchProducer {
  private readonly queues: Readonly<Record<Priority, Queue<ChunkJob>>>;

  constructor(
    @InjectQueue(DISPATCH_QUEUES.high) high: Queue<ChunkJob>,
    @InjectQueue(DISPATCH_QUEUES.normal) normal: Queue<ChunkJob>,
    @InjectQueue(DISPATCH_QUEUES.low) low: Queue<ChunkJob>,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {
    this.queues = { high, normal, low };
  }

  queue(priority: Priority): Queue<ChunkJob> {
    return this.queues[priority];
  }

  /** Queues the chunk jobs of a batch's whole range for its current generation. */
  async enqueue(batch: QueueableBatch): Promise<number> {
    const jobs = chunkJobs(batch.id, batch.total, this.config.chunkSize, batch.generation);
    await this.queues[batch.priority].addBulk(
      jobs.map((data) => ({
        data,
        opts: {
          jobId: chunkJobId(data),
          removeOnComplete: true,
          removeOnFail: true,
          attempts: CHUNK_ATTEMPTS,
          backoff: { type: 'fixed', delay: 500 },
        },
      })),
    );
    return jobs.length;
  }

  /** Batches that have at least one chunk job waiting, running, delayed or paused in Redis. */
  async batchesWithJobs(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const queue of Object.values(this.queues)) {
      const { client } = queue;
      const key = (type: string) => (queue as Queue & { toKey(type: string): string }).toKey(type);
      const [wait, active, paused, delayed] = await Promise.all([
        client.lrange(key('wait'), 0, -1),
        client.lrange(key('active'), 0, -1),
        client.lrange(key('paused'), 0, -1),
        client.zrange(key('delayed'), 0, -1),
      ]);
      for (const jobId of [...wait, ...active, ...paused, ...delayed]) ids.add(batchIdOfJob(jobId));
    }
    return ids;
  }
}

import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { addJobs } from '../../queue/add-jobs';
import { RateLimiter } from '../../rate-limit/rate-limiter';
import type { Priority } from '../../rate-limit/tier-rates';
import {
  batchIdOfJob,
  chunkJobId,
  DISPATCH_QUEUES,
  firstJobs,
  nextInLane,
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

const OPTIONS: JobOptions = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: CHUNK_ATTEMPTS,
  backoff: { type: 'fixed', delay: 500 },
};

/** The only place that queues dispatch work and builds its job options. */
@Injectable()
export class DispatchProducer {
  private readonly queues: Readonly<Record<Priority, Queue<ChunkJob>>>;

  constructor(
    @InjectQueue(DISPATCH_QUEUES.high) high: Queue<ChunkJob>,
    @InjectQueue(DISPATCH_QUEUES.normal) normal: Queue<ChunkJob>,
    @InjectQueue(DISPATCH_QUEUES.low) low: Queue<ChunkJob>,
    private readonly limiter: RateLimiter,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {
    this.queues = { high, normal, low };
  }

  queue(priority: Priority): Queue<ChunkJob> {
    return this.queues[priority];
  }

  /**
   * Queues a batch's lanes from position `fromSeq` for its current generation; fails within
   * ADD_JOBS_TIMEOUT_MS when Redis is away (the reconciler queues them again).
   */
  async enqueue(batch: QueueableBatch, fromSeq = 0): Promise<void> {
    const jobs = firstJobs(
      { batchId: batch.id, generation: batch.generation, total: batch.total },
      this.config.chunkSize,
      this.limiter.rateOf(batch.priority),
      fromSeq,
    );
    await addJobs(
      this.queues[batch.priority],
      jobs.map((data) => ({ data, opts: { ...OPTIONS, jobId: chunkJobId(data) } })),
    );
  }

  /** The rest of a chunk whose job used up its time slice (a recheck's stays a recheck). */
  async continueAt(priority: Priority, job: ChunkJob, from: number): Promise<void> {
    await this.add(priority, { ...job, from });
  }

  /** The lane's next chunk, if the batch has one. */
  async advance(priority: Priority, job: ChunkJob): Promise<void> {
    const next = nextInLane(job);
    if (next) await this.add(priority, next);
  }

  /** Looks at the chunk again after `delayMs`, once held claims or retries are due. */
  async recheckAfter(priority: Priority, job: ChunkJob, delayMs: number): Promise<void> {
    const recheck = { ...job, from: job.chunk * job.size, recheck: (job.recheck ?? 0) + 1 };
    await this.add(priority, recheck, Math.max(0, delayMs));
  }

  /** Batches that have at least one chunk job waiting, running, delayed or paused in Redis. */
  async batchesWithJobs(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const queue of Object.values(this.queues)) {
      const key = (type: string) => (queue as Queue & { toKey(type: string): string }).toKey(type);
      // One MULTI, so a job moving between lists is seen in one of them.
      const replies = (await queue.client
        .multi()
        .lrange(key('wait'), 0, -1)
        .lrange(key('active'), 0, -1)
        .lrange(key('paused'), 0, -1)
        .zrange(key('delayed'), 0, -1)
        .exec()) as [Error | null, string[]][];
      for (const [, jobIds] of replies) for (const jobId of jobIds) ids.add(batchIdOfJob(jobId));
    }
    return ids;
  }

  private async add(priority: Priority, job: ChunkJob, delay = 0): Promise<void> {
    const data = { ...job };
    if (data.recheck === undefined) delete data.recheck;
    await this.queues[priority].add(data, { ...OPTIONS, jobId: chunkJobId(data), delay });
  }
}

import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { addJobs } from '../queue/add-jobs';
import { HELP_REPLY_QUEUE, helpReplyJobId, type HelpReplyJob } from './help-reply.jobs';

/**
 * A failed job is tried again only while the reply is still `queued` (the database was out of
 * reach); once a worker marked it, its job does nothing (help-reply.service.ts).
 */
const OPTIONS: JobOptions = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
};

/** The only place that queues answers to HELP and builds their job options. */
@Injectable()
export class HelpReplyProducer {
  constructor(@InjectQueue(HELP_REPLY_QUEUE) private readonly replies: Queue<HelpReplyJob>) {}

  queue(): Queue<HelpReplyJob> {
    return this.replies;
  }

  /** Fails within ADD_JOBS_TIMEOUT_MS when Redis is away (the sweep queues them again). */
  async enqueue(inboundIds: readonly string[]): Promise<void> {
    if (!inboundIds.length) return;
    await addJobs(
      this.replies,
      inboundIds.map((inboundId) => {
        const data = { inboundId };
        return { data, opts: { ...OPTIONS, jobId: helpReplyJobId(data) } };
      }),
    );
  }
}

// Queuing jobs on a request's path, where Redis being away must not hold the answer.
import type { JobOptions, Queue } from 'bull';
import { withTimeout } from '../common/with-timeout';

/**
 * How long a producer waits for Redis to take its jobs. Bull's connection waits for Redis to come
 * back (minutes, or for ever on a silent network); its callers have a sweep that queues the work
 * again from PostgreSQL, so they go on without it. Jobs that reach Redis later anyway are
 * harmless: their ids are deterministic, and a second add of the same id is ignored.
 */
export const ADD_JOBS_TIMEOUT_MS = 2_000;

export async function addJobs<T>(
  queue: Queue<T>,
  jobs: { data: T; opts: JobOptions }[],
): Promise<void> {
  await withTimeout(queue.addBulk(jobs), ADD_JOBS_TIMEOUT_MS);
}

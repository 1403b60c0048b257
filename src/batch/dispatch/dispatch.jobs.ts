// Dispatch queues and their job payloads, typed in one place. One queue per priority (Bull's
// per-job priority costs O(n) per insert); each job carries a bounded range of a batch's messages.
import type { Priority } from '../entities/batch.entity';

export const DISPATCH_QUEUES: Readonly<Record<Priority, string>> = {
  high: 'dispatch-high',
  normal: 'dispatch-normal',
  low: 'dispatch-low',
};

/** Messages `from <= seq < to` of one batch, queued by dispatch generation `generation`. */
export interface ChunkJob {
  batchId: string;
  from: number;
  to: number;
  generation: number;
}

/**
 * Deterministic, so a chunk cannot be queued twice in one generation (Bull ignores an add whose id
 * it holds, completed jobs included, hence the generation); Bull wants no ":" in ids.
 */
export function chunkJobId({ batchId, from, generation }: ChunkJob): string {
  return `${batchId}-${from}-${generation}`;
}

/** The batch id a chunk job id belongs to (its first 36 characters). */
export function batchIdOfJob(jobId: string): string {
  return jobId.slice(0, 36);
}

/** The chunk jobs covering `total` messages. */
export function chunkJobs(
  batchId: string,
  total: number,
  size: number,
  generation: number,
): ChunkJob[] {
  const jobs: ChunkJob[] = [];
  for (let from = 0; from < total; from += size) {
    jobs.push({ batchId, from, to: Math.min(from + size, total), generation });
  }
  return jobs;
}

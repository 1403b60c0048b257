// Dispatch queues and their job payloads, typed in one place. One queue per priority (Bull's
// per-job priority costs O(n) per insert). A batch is cut into chunks of message positions and
// walked by a few lanes: a lane's job works one chunk, for a time slice at most, then queues its
// continuation or the lane's next chunk. So a batch holds only `lanes` jobs at a time and batches of
// one tier take turns, however large one of them is.
import type { Priority } from '../../rate-limit/tier-rates';

export const DISPATCH_QUEUES: Readonly<Record<Priority, string>> = {
  high: 'dispatch-high',
  normal: 'dispatch-normal',
  low: 'dispatch-low',
};

/** One lane per this many messages per second of the batch's rate, within [1, MAX_LANES]. */
export const LANE_RATE = 250;
export const MAX_LANES = 32;
/** A job gives its queue slot back after this long, queuing its continuation. */
export const SLICE_MS = 10_000;

export interface ChunkJob {
  batchId: string;
  /** Part of every job id; grows whenever the batch's dispatch is queued afresh. */
  generation: number;
  total: number;
  size: number;
  lanes: number;
  /** Chunk index: positions [chunk * size, (chunk + 1) * size) of the batch, cut at total. */
  chunk: number;
  /** Where in the chunk this job starts (later than the chunk's start for a continuation). */
  from: number;
  /**
   * Set on a job that looks at a chunk again once held claims or retries are due (how many rechecks
   * deep). A recheck, and its continuations, never advance the lane: the lane went on already.
   */
  recheck?: number;
}

export function chunkEnd(job: Pick<ChunkJob, 'chunk' | 'size' | 'total'>): number {
  return Math.min((job.chunk + 1) * job.size, job.total);
}

export function lanesFor(rate: number, total: number, size: number): number {
  const chunks = Math.ceil(total / size);
  return Math.max(1, Math.min(Math.ceil(rate / LANE_RATE), MAX_LANES, chunks));
}

/** The first jobs of a batch's dispatch: one per lane, starting at position `fromSeq`. */
export function firstJobs(
  batch: { batchId: string; generation: number; total: number },
  size: number,
  rate: number,
  fromSeq = 0,
): ChunkJob[] {
  const lanes = lanesFor(rate, batch.total - fromSeq, size);
  const first = Math.floor(fromSeq / size);
  const jobs: ChunkJob[] = [];
  for (let chunk = first; chunk < first + lanes && chunk * size < batch.total; chunk++) {
    jobs.push({ ...batch, size, lanes, chunk, from: Math.max(chunk * size, fromSeq) });
  }
  return jobs;
}

/** The lane's next chunk after `job`'s, or null at the end of the batch. */
export function nextInLane(job: ChunkJob): ChunkJob | null {
  const chunk = job.chunk + job.lanes;
  if (chunk * job.size >= job.total) return null;
  if (job.recheck !== undefined) return null;
  return { ...job, chunk, from: chunk * job.size };
}

/**
 * Deterministic, so one piece of work cannot be queued twice in one generation (Bull ignores an
 * add whose id it holds); Bull wants no ":" in ids.
 */
export function chunkJobId(job: ChunkJob): string {
  const base = `${job.batchId}-${job.generation}-${job.chunk}-${job.from}`;
  return job.recheck === undefined ? base : `${base}-recheck-${job.recheck}`;
}

/** The batch id a chunk job id belongs to (its first 36 characters). */
export function batchIdOfJob(jobId: string): string {
  return jobId.slice(0, 36);
}

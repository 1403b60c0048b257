import { Injectable } from '@nestjs/common';
import { DispatchRepository, type BatchView } from './dispatch.repository';

/** How stale a worker's view of a batch's status may be: a pause stops sends within this. */
const FRESH_MS = 200;

/**
 * Each worker's recent view of batch statuses and generations, so it checks before every send
 * for a pause, a cancel, or a new generation of its dispatch (a retry-failed on a processing
 * batch, which also moves its validity clock): a job of an older generation stops.
 */
@Injectable()
export class BatchStatusCache {
  private readonly entries = new Map<
    string,
    { view: BatchView | undefined; at: number; loading?: Promise<BatchView | undefined> }
  >();

  constructor(private readonly repository: DispatchRepository) {}

  /** Whether a job of `generation` may still send for the batch: it is processing, that generation. */
  async current(batchId: string, generation: number): Promise<boolean> {
    let view = await this.get(batchId);
    // Older than the job asking (it was read before the batch was queued afresh): read again, or
    // the new generation's job would stop as soon as it started.
    if (view && view.generation < generation) view = await this.get(batchId, true);
    return view?.status === 'processing' && view.generation === generation;
  }

  private async get(batchId: string, stale = false): Promise<BatchView | undefined> {
    const entry = this.entries.get(batchId);
    if (entry && !stale && Date.now() - entry.at < FRESH_MS) return entry.view;
    if (entry?.loading && !stale) return entry.loading;
    const loading = this.repository.view(batchId).then((view) => {
      this.entries.set(batchId, { view, at: Date.now() });
      if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value!);
      return view;
    });
    this.entries.set(batchId, { view: entry?.view, at: entry?.at ?? 0, loading });
    try {
      return await loading;
    } catch (error) {
      this.entries.delete(batchId);
      throw error;
    }
  }
}

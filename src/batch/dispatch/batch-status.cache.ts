import { Injectable } from '@nestjs/common';
import type { BatchStatus } from '../entities/batch.entity';
import { DispatchRepository } from './dispatch.repository';

/** How stale a worker's view of a batch's status may be: a pause stops sends within this. */
const FRESH_MS = 200;

/** Each worker's recent view of batch statuses, so it checks for pause and cancel before every send. */
@Injectable()
export class BatchStatusCache {
  private readonly entries = new Map<
    string,
    { status: BatchStatus | undefined; at: number; loading?: Promise<BatchStatus | undefined> }
  >();

  constructor(private readonly repository: DispatchRepository) {}

  async get(batchId: string): Promise<BatchStatus | undefined> {
    const entry = this.entries.get(batchId);
    if (entry && Date.now() - entry.at < FRESH_MS) return entry.status;
    if (entry?.loading) return entry.loading;
    const loading = this.repository.status(batchId).then((status) => {
      this.entries.set(batchId, { status, at: Date.now() });
      if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value!);
      return status;
    });
    this.entries.set(batchId, { status: entry?.status, at: entry?.at ?? 0, loading });
    try {
      return await loading;
    } catch (error) {
      this.entries.delete(batchId);
      throw error;
    }
  }
}

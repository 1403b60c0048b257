import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RATE_WINDOW_SECONDS } from './batch-metrics';
import { SENT_WITHIN } from './sent-rate.sql';

/**
 * Accepted messages per batch over the last seconds, read from the per-second timeline that the
 * result writer keeps for the analytics (batch_timeline, by sentAt): what messagesPerSecond and
 * the analytics' recent rates read, without scanning messages.
 */
@Injectable()
export class SentRateService {
  constructor(private readonly dataSource: DataSource) {}

  /** Accepted within the last `windowSeconds`, per batch (0 for a batch that sent nothing). */
  async recent(
    batchIds: readonly string[],
    windowSeconds = RATE_WINDOW_SECONDS,
  ): Promise<Map<string, number>> {
    const result = new Map(batchIds.map((id) => [id, 0]));
    if (!batchIds.length) return result;
    const rows = await this.dataSource.query<{ batchId: string; sent: string }[]>(SENT_WITHIN, [
      batchIds,
      windowSeconds,
    ]);
    for (const { batchId, sent } of rows) result.set(batchId, Number(sent));
    return result;
  }
}

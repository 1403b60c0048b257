import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RATE_WINDOW_SECONDS } from './batch-metrics';

/**
 * Accepted messages per batch over the last seconds, read from the per-second timeline that the
 * result writer keeps for the analytics (batch_timeline, by sentAt): what messagesPerSecond and
 * the analytics' recent rates read, without scanning messages.
 */
@Injectable()
export class SentRate {
  constructor(private readonly dataSource: DataSource) {}

  /** Accepted within the last `windowSeconds`, per batch (0 for a batch that sent nothing). */
  async recent(
    batchIds: readonly string[],
    windowSeconds = RATE_WINDOW_SECONDS,
  ): Promise<Map<string, number>> {
    const result = new Map(batchIds.map((id) => [id, 0]));
    if (!batchIds.length) return result;
    const rows = await this.dataSource.query<{ batchId: string; sent: string }[]>(
      `SELECT batch_id AS "batchId", sum(sent) AS sent FROM batch_timeline
       WHERE batch_id = ANY($1) AND resolution = 1
         AND t > now() - make_interval(secs => $2::double precision)
       GROUP BY batch_id`,
      [batchIds, windowSeconds],
    );
    for (const { batchId, sent } of rows) result.set(batchId, Number(sent));
    return result;
  }
}

// Bulk writes of a new batch, in the caller's transaction: its messages by COPY, then its row.
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from 'typeorm';
import type { BatchEntity } from './entities/batch.entity';

export interface NewMessage {
  id: string;
  phoneNumber: string;
  variables: Record<string, string>;
  segments: number;
  /** Its route's providers (routes.ts, routeKey). */
  route: string;
  /** Its zone key (windows/send-window.ts) when its batch has a send window. */
  sendZone: string | null;
}

export type NewBatch = Omit<
  BatchEntity,
  | 'completedAt'
  | 'pauseReason'
  | 'failureReason'
  | 'generation'
  | 'processingMs'
  | 'deliveredCount'
  | 'undeliveredCount'
  | 'deliveryUnknownCount'
  | 'outsideWindow'
  | 'nextWindowAt'
>;

@Injectable()
export class BatchIngestRepository {
  /**
   * Streams messages into one COPY, numbering them (`seq`) in the order they come. When `chunks`
   * throws, the COPY is aborted and the error rethrown, so the transaction rolls back whole.
   */
  async copyMessages(
    manager: EntityManager,
    batchId: string,
    chunks: AsyncIterable<readonly NewMessage[]>,
  ): Promise<void> {
    const client = (await manager.queryRunner!.connect()) as PoolClient;
    const copy = client.query(
      copyFrom(
        'COPY messages (id, batch_id, seq, phone_number, variables, status, segments, route, send_zone) FROM STDIN',
      ),
    );
    await pipeline(async function* () {
      let seq = 0;
      for await (const messages of chunks) {
        let text = '';
        for (const message of messages) {
          text +=
            `${message.id}\t${batchId}\t${seq++}\t${copyEscape(message.phoneNumber)}\t` +
            `${copyEscape(JSON.stringify(message.variables))}\tpending\t${message.segments}\t` +
            `${copyEscape(message.route)}\t${message.sendZone === null ? '\\N' : copyEscape(message.sendZone)}\n`;
        }
        yield text;
      }
    }, copy);
  }

  async insertBatch(manager: EntityManager, batch: NewBatch): Promise<void> {
    await manager.query(
      `INSERT INTO batches (id, account_id, text, variables, priority, status, auto_start, schedule_time,
         started_at, total, pending_count, completed_count, failed_count, cancelled_count, segments, encodings,
         created_at, resumed_at, quota_taken, routes, send_window, send_zones)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
               $21, $22)`,
      [
        batch.id,
        batch.accountId,
        batch.text,
        batch.variables,
        batch.priority,
        batch.status,
        batch.autoStart,
        batch.scheduleTime,
        batch.startedAt,
        batch.total,
        batch.pendingCount,
        batch.completedCount,
        batch.failedCount,
        batch.cancelledCount,
        batch.segments,
        batch.encodings,
        batch.createdAt,
        batch.resumedAt,
        batch.quotaTaken,
        batch.routes,
        batch.sendWindow === null ? null : JSON.stringify(batch.sendWindow),
        batch.sendZones,
      ],
    );
  }
}

const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** COPY's text format treats backslash, tab, newline and carriage return specially. */
function copyEscape(value: string): string {
  return value.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]);
}

// Bulk writes of a new batch: one batch row and a COPY of its messages, in the caller's transaction.
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EntityManager } from 'typeorm';
import type { BatchEntity } from './entities/batch.entity';

export interface NewMessage {
  id: string;
  phoneNumber: string;
  variables: Record<string, string>;
  segments: number;
}

export type NewBatch = Omit<BatchEntity, 'completedAt' | 'pauseReason' | 'failureReason'>;

const ROWS_PER_WRITE = 2_000;

@Injectable()
export class BatchIngestRepository {
  async insert(
    manager: EntityManager,
    batch: NewBatch,
    messages: readonly NewMessage[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO batches (id, account_id, text, variables, priority, status, auto_start, schedule_time,
         started_at, total, pending_count, completed_count, failed_count, cancelled_count, segments, encodings,
         created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
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
      ],
    );

    const client = (await manager.queryRunner!.connect()) as PoolClient;
    const copy = client.query(
      copyFrom(
        'COPY messages (id, batch_id, seq, phone_number, variables, status, segments) FROM STDIN',
      ),
    );
    await pipeline(Readable.from(copyRows(batch.id, messages)), copy);
  }
}

/** COPY's text format, a few thousand rows per chunk so the stream is not fed row by row. */
function* copyRows(batchId: string, messages: readonly NewMessage[]): Generator<string> {
  let chunk = '';
  for (let seq = 0; seq < messages.length; seq++) {
    const message = messages[seq];
    chunk +=
      `${message.id}\t${batchId}\t${seq}\t${copyEscape(message.phoneNumber)}\t` +
      `${copyEscape(JSON.stringify(message.variables))}\tpending\t${message.segments}\n`;
    if ((seq + 1) % ROWS_PER_WRITE === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** COPY text format treats backslash, tab, newline and carriage return specially. */
function copyEscape(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!,
      )
    : value;
}

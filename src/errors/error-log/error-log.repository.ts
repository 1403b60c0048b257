// Reads of the error log's tables (written by dispatch, error-log.sql.ts).
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { ErrorCategory } from '../error-taxonomy';
import type { ErrorStage } from './message-error.entity';

/** Codes listed per category in a summary. */
const TOP_CODES = 5;

export interface SummaryRow {
  category: ErrorCategory;
  count: string;
  /** Of count, the entries from delivery receipts. */
  deliveryCount: string;
  messages: string;
  example: string;
  firstAt: Date;
  lastAt: Date;
  codes: { code: string; count: number }[];
}

export interface ItemRow {
  id: string;
  messageId: string;
  phoneNumber: string;
  attempt: number;
  category: ErrorCategory;
  code: string;
  message: string;
  retried: boolean;
  stage: ErrorStage;
  at: Date;
}

export interface ItemFilter {
  category?: ErrorCategory;
  code?: string;
  /** Items older than this id (the page's cursor). */
  before?: string;
  limit: number;
}

@Injectable()
export class ErrorLogRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether the account owns the batch. */
  async owns(accountId: string, batchId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM batches WHERE id = $1 AND account_id = $2`,
      [batchId, accountId],
    );
    return rows.length > 0;
  }

  /** The batch's summaries (one category, or all), the most frequent first. */
  summaries(
    batchId: string,
    category: ErrorCategory | undefined,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SummaryRow[]> {
    return manager.query<SummaryRow[]>(
      `SELECT s.category, s.count, s.delivery_count AS "deliveryCount", s.messages, s.example, s.first_at AS "firstAt",
              s.last_at AS "lastAt",
              (SELECT COALESCE(json_agg(json_build_object('code', k.code, 'count', k.count)
                                        ORDER BY k.count DESC, k.code), '[]')
               FROM (SELECT code, count FROM batch_error_codes
                     WHERE batch_id = s.batch_id AND category = s.category
                     ORDER BY count DESC, code LIMIT ${TOP_CODES}) k) AS codes
       FROM batch_error_categories s
       WHERE s.batch_id = $1 AND ($2::text IS NULL OR s.category = $2)
       ORDER BY s.count DESC, s.category`,
      [batchId, category ?? null],
    );
  }

  /** An index range scan (by batch, by batch and category, or by batch and code), newest first. */
  items(batchId: string, filter: ItemFilter, manager: EntityManager): Promise<ItemRow[]> {
    const params: unknown[] = [batchId, filter.limit];
    const where = ['e.batch_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.category) add('e.category = ?', filter.category);
    if (filter.code) add('e.code = ?', filter.code);
    if (filter.before) add('e.id < ?', filter.before);
    return manager.query<ItemRow[]>(
      `SELECT e.id, m.id AS "messageId", m.phone_number AS "phoneNumber", e.attempt, e.category,
              e.code, e.message, e.retried, e.stage, e.at
       FROM message_errors e
       JOIN messages m ON m.batch_id = e.batch_id AND m.seq = e.seq
       WHERE ${where.join(' AND ')}
       ORDER BY e.id DESC
       LIMIT $2`,
      params,
    );
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, toPage } from '../../common/pagination';
import { BatchNotFound } from '../domain-error';
import { CATEGORY_POLICIES, type ErrorCategory } from '../error-taxonomy';
import type { ErrorItemDto, ErrorLogDto, ErrorLogQuery, ErrorSummaryDto } from './error-log.dto';

/** Codes listed per category in a summary. */
const TOP_CODES = 5;

type ErrorCursor = { id: string };
const isErrorCursor = (v: unknown): v is ErrorCursor => {
  const { id } = (v ?? {}) as Partial<ErrorCursor>;
  return typeof id === 'string' && /^[1-9]\d{0,17}$/.test(id);
};

interface SummaryRow {
  category: ErrorCategory;
  count: string;
  messages: string;
  example: string;
  firstAt: Date;
  lastAt: Date;
  codes: { code: string; count: number }[];
}

interface ItemRow {
  id: string;
  messageId: string;
  phoneNumber: string;
  attempt: number;
  category: ErrorCategory;
  code: string;
  message: string;
  retried: boolean;
  at: Date;
}

/**
 * Reads the error log. Summaries come from rows kept up to date as errors are written; items
 * are an index range scan (by batch, by batch and category, or by batch and code), newest first.
 */
@Injectable()
export class ErrorLogService {
  constructor(private readonly dataSource: DataSource) {}

  async read(accountId: string, batchId: string, query: ErrorLogQuery): Promise<ErrorLogDto> {
    const [owned] = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM batches WHERE id = $1 AND account_id = $2`,
      [batchId, accountId],
    );
    if (!owned) throw new BatchNotFound(batchId);
    // One snapshot, so that a running batch's summary and items agree.
    const [summary, rows] = await this.dataSource.transaction('REPEATABLE READ', (manager) =>
      Promise.all([
        this.summaries(batchId, undefined, manager),
        this.items(batchId, query, manager),
      ]),
    );
    const page = toPage(rows, query.limit, toItem, (last) => ({ id: last.id }));
    return { summary, ...page };
  }

  /** The batch's summaries, one per category seen, the most frequent first. */
  async summaries(
    batchId: string,
    category?: ErrorCategory,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ErrorSummaryDto[]> {
    const rows = await manager.query<SummaryRow[]>(
      `SELECT s.category, s.count, s.messages, s.example, s.first_at AS "firstAt",
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
    return rows.map((row) => ({
      category: row.category,
      count: Number(row.count),
      messages: Number(row.messages),
      retryable: CATEGORY_POLICIES[row.category]?.retried ?? false,
      codes: row.codes.map(({ code, count }) => ({ code, count: Number(count) })),
      example: row.example,
      firstAt: row.firstAt.toISOString(),
      lastAt: row.lastAt.toISOString(),
    }));
  }

  private items(batchId: string, query: ErrorLogQuery, manager: EntityManager): Promise<ItemRow[]> {
    const params: unknown[] = [batchId, query.limit + 1];
    const where = ['e.batch_id = $1'];
    const filter = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (query.category) filter('e.category = ?', query.category);
    if (query.code) filter('e.code = ?', query.code);
    if (query.cursor) filter('e.id < ?', decodeCursor(query.cursor, isErrorCursor).id);
    return manager.query<ItemRow[]>(
      `SELECT e.id, m.id AS "messageId", m.phone_number AS "phoneNumber", e.attempt, e.category,
              e.code, e.message, e.retried, e.at
       FROM message_errors e
       JOIN messages m ON m.batch_id = e.batch_id AND m.seq = e.seq
       WHERE ${where.join(' AND ')}
       ORDER BY e.id DESC
       LIMIT $2`,
      params,
    );
  }
}

function toItem({ id: _id, at, ...item }: ItemRow): ErrorItemDto {
  return { ...item, at: at.toISOString() };
}

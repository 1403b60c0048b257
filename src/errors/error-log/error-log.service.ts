import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, toPage } from '../../common/pagination';
import { BatchNotFound } from '../domain-error';
import { CATEGORY_POLICIES, type ErrorCategory } from '../error-taxonomy';
import type { ErrorItemDto, ErrorLogDto, ErrorLogQuery, ErrorSummaryDto } from './error-log.dto';
import { ErrorLogRepository, type ItemRow } from './error-log.repository';

type ErrorCursor = { id: string };
const isErrorCursor = (v: unknown): v is ErrorCursor => {
  const { id } = (v ?? {}) as Partial<ErrorCursor>;
  return typeof id === 'string' && /^[1-9]\d{0,17}$/.test(id);
};

/**
 * Reads the error log. Summaries come from rows kept up to date as errors are written; items
 * are an index range scan, newest first.
 */
@Injectable()
export class ErrorLogService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: ErrorLogRepository,
  ) {}

  async read(accountId: string, batchId: string, query: ErrorLogQuery): Promise<ErrorLogDto> {
    if (!(await this.repository.owns(accountId, batchId))) throw new BatchNotFound(batchId);
    const filter = {
      category: query.category,
      code: query.code,
      before: query.cursor ? decodeCursor(query.cursor, isErrorCursor).id : undefined,
      limit: query.limit + 1,
    };
    // One snapshot, so that a running batch's summary and items agree.
    const [summary, rows] = await this.dataSource.transaction('REPEATABLE READ', (manager) =>
      Promise.all([
        this.summaries(batchId, undefined, manager),
        this.repository.items(batchId, filter, manager),
      ]),
    );
    const page = toPage(rows, query.limit, toItem, (last) => ({ id: last.id }));
    return { summary, ...page };
  }

  /** The batch's summaries, one per category seen, the most frequent first. */
  async summaries(
    batchId: string,
    category?: ErrorCategory,
    manager?: EntityManager,
  ): Promise<ErrorSummaryDto[]> {
    const rows = await this.repository.summaries(batchId, category, manager);
    return rows.map((row) => ({
      category: row.category,
      count: Number(row.count),
      messages: Number(row.messages),
      // Entries from delivery receipts are of sent messages, which nothing requeues.
      retryable:
        (CATEGORY_POLICIES[row.category]?.retried ?? false) &&
        Number(row.count) > Number(row.deliveryCount),
      codes: row.codes.map(({ code, count }) => ({ code, count: Number(count) })),
      example: row.example,
      firstAt: row.firstAt.toISOString(),
      lastAt: row.lastAt.toISOString(),
    }));
  }
}

function toItem({ id: _id, at, ...item }: ItemRow): ErrorItemDto {
  return { ...item, at: at.toISOString() };
}

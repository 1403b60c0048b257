// GET /api/inbound: the inbound messages attributed to an account (the one that last sent to the
// number from the sender it wrote to), newest first.
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  decodeCursor,
  isCursorDate,
  toPage,
  type Page,
  type PageQuery,
} from '../common/pagination';
import { isUuid } from '../common/uuid-v7';
import { queryRows } from '../database/query-rows';
import type { InboundAction, ReplyStatus } from '../inbound/inbound-message.entity';
import type { InboundMessageDto } from './dto/inbound-message.dto';

interface InboundRow {
  id: string;
  provider: string;
  from_number: string;
  to_number: string;
  body: string;
  received_at: Date;
  /** received_at to the microsecond, as PostgreSQL keeps it: the cursor's key. */
  received_at_text: string;
  action: InboundAction;
  reply_status: ReplyStatus | null;
  reply_provider_message_id: string | null;
  reply_error: string | null;
}

interface InboundCursor {
  receivedAt: string;
  id: string;
}

/** A timestamp to the microsecond, in UTC, as the list writes it. */
const MICROSECONDS = /^(.{19}\.\d{3})\d{3}Z$/;

export function isInboundCursor(value: unknown): value is InboundCursor {
  if (typeof value !== 'object' || value === null) return false;
  const { receivedAt, id } = value as Record<string, unknown>;
  if (typeof receivedAt !== 'string' || typeof id !== 'string' || !isUuid(id)) return false;
  const milliseconds = MICROSECONDS.exec(receivedAt)?.[1];
  return milliseconds !== undefined && isCursorDate(`${milliseconds}Z`);
}

@Injectable()
export class InboundMessagesService {
  constructor(private readonly dataSource: DataSource) {}

  async list(accountId: string, query: PageQuery): Promise<Page<InboundMessageDto>> {
    const cursor = query.cursor ? decodeCursor(query.cursor, isInboundCursor) : undefined;
    const rows = await queryRows<InboundRow>(
      this.dataSource.manager,
      `SELECT id, provider, from_number, to_number, body, received_at, action,
              reply_status, reply_provider_message_id, reply_error,
              to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at_text
         FROM inbound_messages
        WHERE account_id = $1
          AND ($2::timestamptz IS NULL OR (received_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY received_at DESC, id DESC
        LIMIT $4`,
      [accountId, cursor?.receivedAt ?? null, cursor?.id ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, toInboundMessageDto, (last) => ({
      receivedAt: last.received_at_text,
      id: last.id,
    }));
  }
}

function toInboundMessageDto(row: InboundRow): InboundMessageDto {
  return {
    id: row.id,
    provider: row.provider,
    from: row.from_number,
    to: row.to_number,
    body: row.body,
    receivedAt: row.received_at.toISOString(),
    action: row.action,
    reply:
      row.reply_status === null
        ? null
        : {
            status: row.reply_status,
            providerMessageId: row.reply_provider_message_id,
            error: row.reply_error,
          },
  };
}

// The daily_usage table: messages and segments made sendable per account and UTC day.
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows';
import type { Amounts, Limits } from './daily-quota';

/** An account's own quota settings, and the database's clock (one clock for every process). */
export interface AccountQuotaRow {
  dailyMessageQuota: number | null;
  dailySegmentQuota: number | null;
  now: Date;
}

/** One row of daily_usage with its account's name, for the metrics. */
export interface UsageRow extends Amounts {
  accountId: string;
  accountName: string;
  day: string;
}

const toNumber = (value: string | number | null) => (value === null ? null : Number(value));

@Injectable()
export class DailyUsageRepository {
  /** The account's overrides and now(); undefined when the account does not exist. */
  async accountQuota(
    manager: EntityManager,
    accountId: string,
  ): Promise<AccountQuotaRow | undefined> {
    const [row] = await manager.query<
      { message: string | null; segment: string | null; now: Date }[]
    >(
      `SELECT daily_message_quota AS message, daily_segment_quota AS segment, now() AS now
       FROM accounts WHERE id = $1`,
      [accountId],
    );
    return (
      row && {
        dailyMessageQuota: toNumber(row.message),
        dailySegmentQuota: toNumber(row.segment),
        now: row.now,
      }
    );
  }

  /**
   * Adds `need` to the day's usage only if the sum stays within `limits` (null: unlimited), in one
   * statement: the upsert's row lock makes concurrent takers of one account wait for each other,
   * and each then checks against what the one before it left. Answers the new usage, or undefined
   * when it would not fit (nothing changed).
   */
  async tryAdd(
    manager: EntityManager,
    accountId: string,
    day: string,
    need: Amounts,
    limits: Limits,
  ): Promise<Amounts | undefined> {
    const [row] = await queryRows<{ messages: string; segments: string }>(
      manager,
      `INSERT INTO daily_usage AS u (account_id, day, messages, segments)
       SELECT $1, $2::date, $3::bigint, $4::bigint
       WHERE ($5::bigint IS NULL OR $3::bigint <= $5::bigint)
         AND ($6::bigint IS NULL OR $4::bigint <= $6::bigint)
       ON CONFLICT (account_id, day) DO UPDATE
         SET messages = u.messages + EXCLUDED.messages, segments = u.segments + EXCLUDED.segments
         WHERE ($5::bigint IS NULL OR u.messages + EXCLUDED.messages <= $5::bigint)
           AND ($6::bigint IS NULL OR u.segments + EXCLUDED.segments <= $6::bigint)
       RETURNING messages, segments`,
      [accountId, day, need.messages, need.segments, limits.messages, limits.segments],
    );
    return row && { messages: Number(row.messages), segments: Number(row.segments) };
  }

  /** The day's usage of one account (0 and 0 before its first batch of the day). */
  async used(manager: EntityManager, accountId: string, day: string): Promise<Amounts> {
    const [row] = await manager.query<{ messages: string; segments: string }[]>(
      `SELECT messages, segments FROM daily_usage WHERE account_id = $1 AND day = $2::date`,
      [accountId, day],
    );
    return { messages: Number(row?.messages ?? 0), segments: Number(row?.segments ?? 0) };
  }

  /** Every account's usage of today and yesterday (UTC): yesterday's row holds its final count. */
  async recentUsage(manager: EntityManager): Promise<UsageRow[]> {
    const rows = await manager.query<
      { account_id: string; name: string; day: string; messages: string; segments: string }[]
    >(
      `SELECT u.account_id, a.name, to_char(u.day, 'YYYY-MM-DD') AS day, u.messages, u.segments
       FROM daily_usage u JOIN accounts a ON a.id = u.account_id
       WHERE u.day >= (now() AT TIME ZONE 'UTC')::date - 1
       ORDER BY u.day, u.account_id`,
    );
    return rows.map((row) => ({
      accountId: row.account_id,
      accountName: row.name,
      day: row.day,
      messages: Number(row.messages),
      segments: Number(row.segments),
    }));
  }
}

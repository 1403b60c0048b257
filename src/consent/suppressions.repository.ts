// The suppressions table as the API reads and writes it: an account's list (its own entries and the
// deployment-wide ones for its contacts), bulk inserts of its own entries, and their deletion.
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { uuidV7s } from '../common/uuid-v7';
import { queryRows } from '../database/query-rows';
import type { SuppressionReason, SuppressionScope } from './suppression.entity';

/** Numbers per INSERT statement: unnest of two arrays this long is one round trip. */
export const INSERT_STEP = 10_000;

export interface SuppressionRow {
  id: string;
  phone_number: string;
  scope: SuppressionScope;
  reason: SuppressionReason;
  source: string | null;
  created_at: Date;
}

export interface SuppressionFilter {
  phoneNumber?: string;
  reason?: SuppressionReason;
  /** Entries older than this id (ids are UUID v7: time-ordered). */
  before?: string;
  limit: number;
}

const COLUMNS = 's.id, s.phone_number, s.scope, s.reason, s.created_at';

/**
 * A deployment-wide entry made by a STOP reply names the inbound message as its source; that
 * message belongs to the account it was attributed to, so another account sees no source.
 */
const VISIBLE_SOURCE = `CASE
  WHEN s.reason <> 'stop_reply' THEN s.source
  WHEN s.source ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    (SELECT m.id::text FROM inbound_messages m WHERE m.id = s.source::uuid AND m.account_id = $1)
END AS source`;

@Injectable()
export class SuppressionsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Newest first, `limit` rows at most. Two branches, each planned on its own index: the
   * account's entries, and the deployment-wide entries of numbers that are its contacts.
   */
  list(accountId: string, filter: SuppressionFilter): Promise<SuppressionRow[]> {
    const params: unknown[] = [accountId];
    const conditions: string[] = [];
    if (filter.phoneNumber !== undefined) {
      params.push(filter.phoneNumber);
      conditions.push(`s.phone_number = $${params.length}`);
    }
    if (filter.reason !== undefined) {
      params.push(filter.reason);
      conditions.push(`s.reason = $${params.length}`);
    }
    if (filter.before !== undefined) {
      params.push(filter.before);
      conditions.push(`s.id < $${params.length}::uuid`);
    }
    params.push(filter.limit);
    const limit = `$${params.length}`;
    const and = conditions.map((condition) => ` AND ${condition}`).join('');
    return queryRows<SuppressionRow>(
      this.dataSource.manager,
      `SELECT * FROM (
         (SELECT ${COLUMNS}, ${VISIBLE_SOURCE}
            FROM suppressions s
           WHERE s.account_id = $1${and}
           ORDER BY s.id DESC LIMIT ${limit})
         UNION ALL
         (SELECT ${COLUMNS}, ${VISIBLE_SOURCE}
            FROM suppressions s
            JOIN contacts c ON c.account_id = $1 AND c.phone_number = s.phone_number
           WHERE s.account_id IS NULL${and}
           ORDER BY s.id DESC LIMIT ${limit})
       ) entries
       ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
  }

  /**
   * Adds the account's entries for `numbers` (distinct E.164), in steps of INSERT_STEP, in one
   * transaction: all or nothing. Answers how many were new; the others were there already.
   */
  addOwn(
    accountId: string,
    numbers: readonly string[],
    reason: SuppressionReason,
  ): Promise<number> {
    // In one order, so that two requests adding the same numbers cannot deadlock on the index.
    const sorted = [...numbers].sort();
    return this.dataSource.transaction(async (manager) => {
      let added = 0;
      for (let start = 0; start < sorted.length; start += INSERT_STEP) {
        const step = sorted.slice(start, start + INSERT_STEP);
        added += await this.insertStep(manager, accountId, step, reason);
      }
      return added;
    });
  }

  /** Deletes the account's own entry for the number; true when there was one. */
  async deleteOwn(accountId: string, phoneNumber: string): Promise<boolean> {
    const rows = await queryRows<{ id: string }>(
      this.dataSource.manager,
      `DELETE FROM suppressions WHERE account_id = $1 AND phone_number = $2 RETURNING id`,
      [accountId, phoneNumber],
    );
    return rows.length > 0;
  }

  private async insertStep(
    manager: EntityManager,
    accountId: string,
    numbers: string[],
    reason: SuppressionReason,
  ): Promise<number> {
    const [{ added }] = await queryRows<{ added: number }>(
      manager,
      `WITH added AS (
         INSERT INTO suppressions (id, phone_number, account_id, scope, reason)
         SELECT entry.id, entry.phone_number, $3, 'account', $4
           FROM unnest($1::uuid[], $2::text[]) AS entry (id, phone_number)
         ON CONFLICT (account_id, phone_number) WHERE account_id IS NOT NULL DO NOTHING
         RETURNING 1
       )
       SELECT count(*)::int AS added FROM added`,
      [uuidV7s(numbers.length), numbers, accountId, reason],
    );
    return added;
  }
}

import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * Messages and segments made sendable per account and UTC day. Written and read by SQL only
 * (daily-usage.repository.ts); the entity states the table's shape. bigint comes back as text.
 */
@Entity('daily_usage')
@Check('daily_usage_messages_check', 'messages >= 0')
@Check('daily_usage_segments_check', 'segments >= 0')
// The metrics read today's and yesterday's rows of every account on each scrape.
@Index('daily_usage_day', ['day'])
export class DailyUsageEntity {
  @PrimaryColumn('uuid', { name: 'account_id' })
  @ForeignKey('accounts', { name: 'daily_usage_account_id_fkey', onDelete: 'CASCADE' })
  accountId: string;

  /** The UTC day, as PostgreSQL's date ('YYYY-MM-DD'). */
  @PrimaryColumn('date')
  day: string;

  @Column('bigint', { default: 0 })
  messages: string;

  @Column('bigint', { default: 0 })
  segments: string;
}

import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** PostgreSQL returns bigint as text; quotas fit in a double exactly. */
const bigintOrNull = {
  to: (value: number | null) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity('accounts')
@Check('accounts_daily_message_quota_check', 'daily_message_quota >= 0')
@Check('accounts_daily_segment_quota_check', 'daily_segment_quota >= 0')
export class AccountEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** ISO codes the operator narrowed this account to (within ALLOWED_COUNTRIES); null: all of those. */
  @Column('text', { name: 'allowed_countries', array: true, nullable: true })
  allowedCountries: string[] | null;

  /** Overrides DAILY_MESSAGE_QUOTA for this account (0 = none); null: the deployment's. */
  @Column('bigint', { name: 'daily_message_quota', nullable: true, transformer: bigintOrNull })
  dailyMessageQuota: number | null;

  /** Overrides DAILY_SEGMENT_QUOTA for this account (0 = none); null: the deployment's. */
  @Column('bigint', { name: 'daily_segment_quota', nullable: true, transformer: bigintOrNull })
  dailySegmentQuota: number | null;
}

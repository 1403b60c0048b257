import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isOneOf } from '../database/check-sql';

/** Who an entry holds for: the account that made it, or every account of the deployment. */
export const SUPPRESSION_SCOPES = ['account', 'deployment'] as const;
export type SuppressionScope = (typeof SUPPRESSION_SCOPES)[number];

/**
 * Why a number is suppressed. `stop_reply` (an opt-out keyword came from the number) and
 * `provider_opt_out` (a provider answered "recipient opted out", e.g. Twilio 21610) are
 * deployment-wide: the person replied to a sender every account shares. `manual` and `import`
 * are an account's own.
 */
export const SUPPRESSION_REASONS = ['stop_reply', 'provider_opt_out', 'manual', 'import'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** The reasons an opt-in keyword (START) lifts. */
export const LIFTED_BY_OPT_IN: readonly SuppressionReason[] = ['stop_reply', 'provider_opt_out'];

/**
 * A number no message may go to: checked when a batch is ingested (the recipient is dropped) and
 * when a message is claimed (it fails with SUPPRESSED). One entry per number and scope: one
 * deployment-wide entry, and one per account.
 */
@Entity('suppressions')
@Check('suppressions_scope_check', isOneOf('scope', SUPPRESSION_SCOPES))
@Check('suppressions_reason_check', isOneOf('reason', SUPPRESSION_REASONS))
@Check('suppressions_account_check', `(scope = 'deployment') = (account_id IS NULL)`)
@Index('suppressions_deployment_key', ['phoneNumber'], {
  unique: true,
  where: 'account_id IS NULL',
})
@Index('suppressions_account_key', ['accountId', 'phoneNumber'], {
  unique: true,
  where: 'account_id IS NOT NULL',
})
export class SuppressionEntity {
  /** UUID v7: time-ordered, the list's keyset. */
  @PrimaryColumn('uuid')
  id: string;

  /** E.164. */
  @Column('text', { name: 'phone_number' })
  phoneNumber: string;

  /** The account an `account` entry belongs to; null for `deployment` entries. */
  @Column('uuid', { name: 'account_id', nullable: true })
  accountId: string | null;

  @Column('text')
  scope: SuppressionScope;

  @Column('text')
  reason: SuppressionReason;

  /** The inbound message id (stop_reply), the provider's code (provider_opt_out), or null. */
  @Column('text', { nullable: true })
  source: string | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}

import {
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';

/** An account's API key, kept only as its SHA-256 hash; the key itself is shown once at creation. */
@Entity('api_keys')
@Unique('api_keys_key_hash_key', ['keyHash'])
@Index('api_keys_account_id_idx', ['accountId'])
// The active keys per account: the counts under the account lock and the lists skip revoked rows.
@Index('api_keys_active_account_id_idx', ['accountId'], { where: 'revoked_at IS NULL' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'account_id' })
  @ForeignKey('accounts', { name: 'api_keys_account_id_fkey', onDelete: 'CASCADE' })
  accountId: string;

  @Column('text', { name: 'key_hash' })
  keyHash: string;

  /** What its owner calls it ("ci", "dashboard"); not secret. */
  @Column('text')
  name: string;

  /** The first characters of the key, so a person can tell keys apart without seeing them. */
  @Column('text', { name: 'display_prefix' })
  displayPrefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Kept to within a minute or so (accounts/key-usage.ts), never written per request. */
  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  /** Set when the key was revoked; a revoked key authenticates nothing. */
  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}

import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An account's API key, kept only as its SHA-256 hash; the key itself is shown once at creation. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid', { name: 'account_id' })
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

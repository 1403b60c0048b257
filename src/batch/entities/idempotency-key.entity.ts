import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** What `POST /api/batch` answered for an account's `Idempotency-Key`, so a retry gets the same answer. */
@Entity('idempotency_keys')
@Index('idempotency_keys_created_at_idx', ['createdAt'])
@Index('idempotency_keys_in_flight_idx', ['leaseUntil'], { where: 'response_status IS NULL' })
export class IdempotencyKeyEntity {
  @PrimaryColumn('uuid', { name: 'account_id' })
  @ForeignKey('accounts', { name: 'idempotency_keys_account_id_fkey', onDelete: 'CASCADE' })
  accountId: string;

  @PrimaryColumn('text')
  key: string;

  /** SHA-256 of the request body in canonical JSON (keys sorted), to tell a replay from a reuse. */
  @Column('text', { name: 'request_hash' })
  requestHash: string;

  /** Null while the first request is in flight. */
  @Column('integer', { name: 'response_status', nullable: true })
  responseStatus: number | null;

  @Column('jsonb', { name: 'response_body', nullable: true })
  responseBody: unknown;

  /** The request holding the key in flight (its fencing token); null once answered. */
  @Column('uuid', { nullable: true })
  holder: string | null;

  /** Until when that request holds the key; it renews it while it runs. Null once answered. */
  @Column('timestamptz', { name: 'lease_until', nullable: true })
  leaseUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

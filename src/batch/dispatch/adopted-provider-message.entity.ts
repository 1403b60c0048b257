import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A provider message id a lookup adopted for a message whose call got no answer (README,
 * "Connecting Twilio"): the primary key reserves it, so no two messages adopt one SMS. Written
 * by dispatch.repository.ts (`adopt`) only. SQL only.
 */
@Entity('adopted_provider_messages')
export class AdoptedProviderMessageEntity {
  @PrimaryColumn('text', { name: 'provider_message_id' })
  providerMessageId: string;

  @Column('uuid', { name: 'batch_id' })
  batchId: string;

  @Column('integer')
  seq: number;

  @CreateDateColumn({ name: 'adopted_at', type: 'timestamptz' })
  adoptedAt: Date;
}

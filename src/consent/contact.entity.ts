import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A number an account has sent to, with the last provider and sender that carried a message to it:
 * kept by the statement that writes send results. An inbound message is attributed to the account
 * that last sent to its number from the sender it wrote to; a deployment-wide suppression is shown
 * to the accounts that have the number as a contact.
 */
@Entity('contacts')
@Index('contacts_phone_number_idx', ['phoneNumber', 'lastSentAt'])
export class ContactEntity {
  @PrimaryColumn('uuid', { name: 'account_id' })
  accountId: string;

  /** E.164. */
  @PrimaryColumn('text', { name: 'phone_number' })
  phoneNumber: string;

  /** The provider of the last accepted message (simulated, twilio, smpp). */
  @Column('text')
  provider: string;

  /**
   * Who the last message came from, as the number saw it: Twilio's From or messaging service,
   * SMPP's source address, the simulator's name.
   */
  @Column('text')
  sender: string;

  /** `-infinity` for a number whose provider only ever answered "opted out" to the account. */
  @Column('timestamptz', { name: 'last_sent_at' })
  lastSentAt: Date;
}

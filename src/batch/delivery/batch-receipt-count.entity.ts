import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Receipts applied to a batch's messages, per provider status and category ('' when the receipt
 * carried none), for GET /api/batch/:id/analytics. SQL only; bigint comes back as text.
 */
@Entity('batch_receipt_counts')
export class BatchReceiptCountEntity {
  @PrimaryColumn('uuid', { name: 'batch_id' })
  batchId: string;

  @PrimaryColumn('text')
  status: string;

  @PrimaryColumn('text', { default: '' })
  category: string;

  @Column('bigint')
  count: string;
}

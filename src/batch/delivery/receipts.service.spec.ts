// What Prometheus counts of an applied receipt, as the repository counted it.
import { RECEIPT_RANKS } from '../../sms/receipts';
import { receiptObservation } from './receipts.service';

describe('receiptObservation', () => {
  const applied = {
    batchId: 'b',
    status: 'failed',
    category: null,
    latencyMs: 1200,
  };

  it('counts a final receipt without an outcome as undelivered, as the counters do', () => {
    expect(receiptObservation({ ...applied, rank: RECEIPT_RANKS.final, outcome: null })).toEqual({
      state: 'undelivered',
      category: null,
      latencyMs: 1200,
    });
  });

  it('counts a final outcome as given, and the ranks below final by rank', () => {
    const state = (rank: 1 | 2 | 3, outcome: 'delivered' | 'undelivered' | 'unknown' | null) =>
      receiptObservation({ ...applied, rank, outcome }).state;
    expect(state(RECEIPT_RANKS.final, 'delivered')).toBe('delivered');
    expect(state(RECEIPT_RANKS.final, 'undelivered')).toBe('undelivered');
    expect(state(RECEIPT_RANKS.final, 'unknown')).toBe('unknown');
    expect(state(RECEIPT_RANKS.sent, null)).toBe('sent');
    expect(state(RECEIPT_RANKS.accepted, null)).toBe('accepted');
  });
});

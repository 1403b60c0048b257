// A long message sent as several parts has a receipt per part; what the message itself has
// reached follows from all of them, here, with no I/O (receipts.repository.ts applies it).
import type { MessageError } from '../entities/message.entity';
import { RECEIPT_RANKS, type ProviderReceipt } from '../../sms/receipts';

/** A part row as its receipts left it (message_parts); rank is null until its first receipt. */
export interface PartState {
  part: number;
  total: number;
  status: string | null;
  rank: number | null;
  outcome: ProviderReceipt['outcome'];
  error: MessageError | null;
  receivedAt: Date | null;
}

/** The receipt the message takes from its parts: as a receipt of one SMS would say it. */
export type DerivedReceipt = Pick<
  ProviderReceipt,
  'status' | 'rank' | 'outcome' | 'error' | 'receivedAt'
>;

/**
 * What the message has reached, from its parts' receipts, or null while nothing can be said:
 * undelivered as soon as one part is (the first such part's status and error: the reader misses
 * that part whatever the others do); delivered once every part is (as of the last part's
 * receipt); unknown once every part is final, none undelivered and one at least unknown; below
 * final, once every part has a receipt, the lowest rank a part reached. A part number sent twice
 * counts by its furthest receipt.
 */
export function messageReceiptOf(parts: readonly PartState[]): DerivedReceipt | null {
  const reported = parts.filter(hasReceipt).sort(byArrival);
  const undelivered = reported.find((p) => p.outcome === 'undelivered');
  if (undelivered) return receiptOf(undelivered);

  const total = Math.max(0, ...parts.map((p) => p.total));
  const furthest = new Map<number, Reported>();
  for (const part of reported) {
    const before = furthest.get(part.part);
    if (!before || further(part, before)) furthest.set(part.part, part);
  }
  if (!total || furthest.size < total) return null;

  const each = [...furthest.values()];
  const last = each.reduce((a, b) => (byArrival(a, b) <= 0 ? b : a));
  if (each.every((p) => p.rank === RECEIPT_RANKS.final)) {
    const unknown = each
      .filter((p) => p.outcome !== 'delivered')
      .sort(byArrival)
      .pop();
    return { ...receiptOf(unknown ?? last), receivedAt: last.receivedAt };
  }
  const lowest = each.reduce((a, b) => (b.rank < a.rank ? b : a));
  return { ...receiptOf(lowest), outcome: null, error: null };
}

type Reported = PartState & { status: string; rank: number; receivedAt: Date };

function hasReceipt(part: PartState): part is Reported {
  return part.rank !== null && part.status !== null && part.receivedAt !== null;
}

function byArrival(a: Reported, b: Reported): number {
  return a.receivedAt.getTime() - b.receivedAt.getTime();
}

/** A higher rank, or a final that says what became of the part over one that does not know. */
function further(part: Reported, than: Reported): boolean {
  if (part.rank !== than.rank) return part.rank > than.rank;
  return than.outcome === 'unknown' && part.outcome !== 'unknown';
}

function receiptOf(part: Reported): DerivedReceipt {
  return {
    status: part.status,
    rank: part.rank as DerivedReceipt['rank'],
    outcome: part.rank === RECEIPT_RANKS.final ? part.outcome : null,
    error: part.outcome === 'undelivered' ? part.error : null,
    receivedAt: part.receivedAt,
  };
}

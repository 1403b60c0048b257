// The delivery part of a batch's analytics, from the rows the receipt writer keeps: the latency
// histogram (acceptance to final receipt) and the receipt counts per provider status and category.
import type { ErrorCategory } from '../../errors/error-taxonomy';
import { DELIVERY_BUCKET_BOUNDS_MS, quantile } from './histogram';

/** A row of batch_receipt_counts: `category` is '' for a receipt that carried none. */
export interface ReceiptCountRow {
  status: string;
  category: string;
  /** bigint, as pg hands it over. */
  count: string | number;
}

export interface DeliveryStats {
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  receiptsByStatus: { status: string; count: number }[];
  receiptsByCategory: { category: ErrorCategory; count: number }[];
}

/**
 * Percentiles of the delivery latency (null until the first final receipt: the histogram is
 * empty, '{}' in PostgreSQL), and the receipt counts summed per status and per category, most
 * frequent first (ties by name, so two reads list them alike).
 */
export function deliveryStats(
  latencyHistogram: readonly (string | number)[],
  receiptCounts: readonly ReceiptCountRow[],
): DeliveryStats {
  const histogram = latencyHistogram.map(Number);
  const percentile = (p: number) => quantile(histogram, p, DELIVERY_BUCKET_BOUNDS_MS);
  const byStatus = new Map<string, number>();
  const byCategory = new Map<string, number>();
  for (const { status, category, count } of receiptCounts) {
    const n = Number(count);
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
    if (category) byCategory.set(category, (byCategory.get(category) ?? 0) + n);
  }
  return {
    latencyMs: { p50: percentile(0.5), p95: percentile(0.95), p99: percentile(0.99) },
    receiptsByStatus: ranked(byStatus).map(([status, count]) => ({ status, count })),
    receiptsByCategory: ranked(byCategory).map(([category, count]) => ({
      category: category as ErrorCategory,
      count,
    })),
  };
}

/** Non-zero entries, most first, then by name. */
function ranked(counts: Map<string, number>): [string, number][] {
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0));
}

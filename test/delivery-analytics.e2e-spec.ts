// GET /api/batch/:id/analytics' delivery section, from the simulator's receipts (README, "The
// simulated provider"): +12025550188 is undelivered as unreachable, +12025550189 never gets a
// receipt, every other accepted number is delivered SIMULATOR_DLR_DELAY_MS (200) after acceptance.
import { recipients, TEMPLATE } from './factories/batch.factory';
import { useApp } from './support/api';
import { batchStatus, FAST_DISPATCH, waitForStatus } from './support/dispatch';
import { waitFor } from './support/wait';

interface DeliveryAnalytics {
  timeline: { t: string; sent: number; delivered: number; undelivered: number }[];
  delivery: {
    latencyMs: { p50: number | null; p95: number | null; p99: number | null };
    receiptsByStatus: { status: string; count: number }[];
    receiptsByCategory: { category: string; count: number }[];
  };
}

const sum = (timeline: DeliveryAnalytics['timeline'], key: 'sent' | 'delivered' | 'undelivered') =>
  timeline.reduce((total, bucket) => total + bucket[key], 0);

describe("the analytics of a batch's delivery", () => {
  const service = useApp(FAST_DISPATCH);

  it('show the delivery latency, the receipts per status and category, and receipts per bucket', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: [
          ...recipients(5),
          { phoneNumber: '+12025550188', variables: { name: 'x', code: '1' } },
          { phoneNumber: '+12025550189', variables: { name: 'x', code: '1' } },
        ],
        options: { priority: 'high' },
      })
      .expect(201);
    const id = created.body.id as string;
    await waitForStatus(service.client, id, ['completed']);

    // Receipts keep coming after the batch is completed.
    const analytics = await waitFor('the six final receipts in the analytics', async () => {
      const read = await service.client.get(`/api/batch/${id}/analytics`).expect(200);
      const body = read.body as DeliveryAnalytics;
      return sum(body.timeline, 'delivered') + sum(body.timeline, 'undelivered') === 6
        ? body
        : undefined;
    });
    expect(sum(analytics.timeline, 'sent')).toBe(7);
    expect(sum(analytics.timeline, 'delivered')).toBe(5);
    expect(sum(analytics.timeline, 'undelivered')).toBe(1);
    expect(analytics.delivery.receiptsByCategory).toEqual([{ category: 'unreachable', count: 1 }]);
    expect(analytics.delivery.receiptsByStatus).toEqual(
      expect.arrayContaining([
        { status: 'delivered', count: 5 },
        { status: 'undelivered', count: 1 },
      ]),
    );
    // Every receipt came at least 200 ms after its acceptance, and a percentile is the upper bound
    // of its bucket, never below the true value.
    const { p50, p95, p99 } = analytics.delivery.latencyMs;
    expect(p50).toBeGreaterThanOrEqual(200);
    expect(p95).toBeGreaterThanOrEqual(p50!);
    expect(p99).toBeGreaterThanOrEqual(p95!);

    // The batch status counts the same messages.
    const status = (await batchStatus(service.client, id)) as unknown as {
      delivery: Record<string, number>;
    };
    expect(status.delivery).toEqual({ delivered: 5, undelivered: 1, awaiting: 1, unknown: 0 });
  });
});

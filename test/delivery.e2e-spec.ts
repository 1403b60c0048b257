// Delivery receipts end to end, from the simulator (README, "The simulated provider"): the batch's
// delivery counts and rate, the message log, the error log's delivery stage, retry-failed leaving
// undelivered messages alone, and Socket.IO followers hearing counts move after the batch is final.
import { useApp } from './support/api';
import {
  batchStatus,
  deliveryAddsUp,
  FAST_DISPATCH,
  messageLog,
  type BatchStatusBody,
} from './support/dispatch';
import { connect, waitToHear } from './support/sockets';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, TEMPLATE } from './factories/batch.factory';

const UNREACHABLE = '+12025550188';
const NO_RECEIPT = '+12025550189';

describe('delivery receipts', () => {
  const service = useApp({ ...FAST_DISPATCH, SIMULATOR_DLR_DELAY_MS: '300' });

  it('shows delivered, undelivered and awaiting messages, adding up at every read', async () => {
    const socket = await connect(service.app, testEnv().bootstrapApiKey);
    try {
      const list = [
        ...recipients(3),
        { phoneNumber: UNREACHABLE, variables: { name: 'x', code: '1' } },
        { phoneNumber: NO_RECEIPT, variables: { name: 'x', code: '1' } },
      ];
      const created = await service.client
        .post('/api/batch', { text: TEMPLATE, recipients: list, options: { autoStart: false } })
        .expect(201);
      const id = created.body.id as string;
      expect(created.body.delivery).toEqual({
        delivered: 0,
        undelivered: 0,
        awaiting: 0,
        unknown: 0,
      });
      expect(created.body.metrics.deliveryRate).toBeNull();
      await socket.ask('subscribe', { batchId: id });
      await service.client.post(`/api/batch/${id}/start`).expect(200);

      const reads: BatchStatusBody[] = [];
      const settled = await waitFor(
        'every receipt to be applied',
        async () => {
          const read = await batchStatus(service.client, id);
          reads.push(read);
          // Both kinds of receipt: the undelivered one may come after the third delivered.
          const { delivered, undelivered } = read.delivery;
          return read.status === 'completed' && delivered === 3 && undelivered === 1
            ? read
            : undefined;
        },
        { timeoutMs: 30_000, everyMs: 50 },
      );
      expect(reads.filter((read) => !deliveryAddsUp(read))).toEqual([]);
      expect(settled.progress).toMatchObject({ completed: 5, failed: 0 });
      expect(settled.delivery).toEqual({ delivered: 3, undelivered: 1, awaiting: 1, unknown: 0 });
      expect(settled.metrics.deliveryRate).toBe(0.75);
      expect(settled.metrics.successRate).toBe(1);

      const log = await messageLog(service.client, id);
      const byNumber = new Map(log.map((m) => [m.phoneNumber, m]));
      expect(byNumber.get(UNREACHABLE)).toMatchObject({
        status: 'sent',
        deliveryStatus: 'undelivered',
        deliveredAt: null,
        providerStatus: 'undelivered',
        deliveryError: {
          category: 'unreachable',
          code: 'SIM_UNREACHABLE',
          message: expect.any(String),
        },
      });
      expect(byNumber.get(NO_RECEIPT)).toMatchObject({
        status: 'sent',
        deliveryStatus: 'awaiting',
        deliveredAt: null,
        providerStatus: null,
        deliveryError: null,
      });
      const delivered = log.filter((m) => m.deliveryStatus === 'delivered');
      expect(delivered).toHaveLength(3);
      for (const message of delivered) {
        expect(Date.parse(message.deliveredAt!)).toBeGreaterThanOrEqual(
          Date.parse(message.sentAt!),
        );
        expect(message.deliveryError).toBeNull();
      }

      // The error log says why it did not arrive, at the delivery stage.
      const errors = await service.client.get(`/api/batch/${id}/errors`).expect(200);
      expect(errors.body.items).toEqual([
        expect.objectContaining({
          phoneNumber: UNREACHABLE,
          category: 'unreachable',
          code: 'SIM_UNREACHABLE',
          stage: 'delivery',
          retried: false,
        }),
      ]);
      expect(errors.body.summary).toEqual([
        expect.objectContaining({ category: 'unreachable', count: 1, messages: 1 }),
      ]);

      // A delivery failure is no failure to retry: the provider accepted the message.
      const retried = await service.client.post(`/api/batch/${id}/retry-failed`).expect(200);
      expect(retried.body).toMatchObject({ requeued: 0, status: 'completed' });

      // Followers heard the counts move, also after the batch was final.
      const heard = await waitToHear(
        socket,
        id,
        'batch:progress',
        (body) => body.delivery?.delivered === 3 && body.delivery.undelivered === 1,
      );
      expect(heard.body.status).toBe('completed');
      expect(heard.body.delivery).toEqual(settled.delivery);
    } finally {
      socket.close();
    }
  });
});

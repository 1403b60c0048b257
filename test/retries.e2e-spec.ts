// Retries with the simulator's scripted numbers (README, "The simulated provider"), in fast motion.
import { setTimeout as sleep } from 'node:timers/promises';
import { api, useIsolatedApp } from './support/api';
import { startApp } from './support/app-process';
import {
  batchStatus,
  FAST_DISPATCH,
  messageLog,
  waitForStatus,
  type LoggedMessage,
} from './support/dispatch';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { phoneNumber, recipients, scripted, TEMPLATE } from './factories/batch.factory';

const FAST = { ...FAST_DISPATCH, RATE_LIMIT_LOW: '5' };

describe('retries and permanent failures', () => {
  // Of its own: it sends to the simulator's opted-out number, whose answer suppresses the number.
  const service = useIsolatedApp('retries', FAST);

  it('each scripted number ends as the README says, with its attempts', async () => {
    const list = [...recipients(3), ...[0, 1, 2, 3, 4, 5, 6].map(scripted)];
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list })
      .expect(201);
    const done = await waitForStatus(service.client, created.body.id, ['completed'], 30_000);
    expect(done.progress).toEqual({ total: 10, pending: 0, completed: 6, failed: 4, cancelled: 0 });
    const byNumber = new Map(
      (await messageLog(service.client, created.body.id)).map((m) => [m.phoneNumber, m]),
    );
    const expectMessage = (last: number, expected: Partial<LoggedMessage>) =>
      expect(byNumber.get(`+1202555019${last}`)).toMatchObject(expected);
    expectMessage(0, {
      status: 'failed',
      attempts: 1,
      lastError: expect.objectContaining({ category: 'invalid_number' }),
    });
    expectMessage(1, {
      status: 'failed',
      attempts: 1,
      lastError: expect.objectContaining({ category: 'opted_out' }),
    });
    expectMessage(2, { status: 'sent', attempts: 3 });
    expectMessage(3, { status: 'sent', attempts: 1 }); // the 429 was retried, not counted
    expectMessage(4, { status: 'sent', attempts: 2 }); // timed out once, same idempotency key
    expectMessage(5, {
      status: 'failed',
      attempts: 5,
      lastError: expect.objectContaining({ category: 'provider_error' }),
    });
    expectMessage(6, {
      status: 'failed',
      attempts: 1,
      lastError: expect.objectContaining({ category: 'content_rejected' }),
    });
  });

  it('refused credentials fail the batch at once; what was not sent is cancelled', async () => {
    // Low priority runs at 5/s here, so most of the batch is still waiting when the refusal comes.
    const list = [...recipients(2), scripted(7), ...recipients(30).slice(2)];
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list, options: { priority: 'low' } })
      .expect(201);
    const done = await waitFor(
      'the batch to fail with nothing pending',
      async () => {
        const batch = await batchStatus(service.client, created.body.id);
        return batch.status === 'failed' && batch.progress.pending === 0 ? batch : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(done.failureReason).toContain('SIM_AUTH');
    expect(done.progress.cancelled).toBeGreaterThan(20);
    expect(done.progress).toMatchObject({ total: 31, failed: 1 });
    expect(done.progress.completed + done.progress.failed + done.progress.cancelled).toBe(31);
    await sleep(1_000);
    expect((await batchStatus(service.client, created.body.id)).progress).toEqual(done.progress);
  });
});

describe('a retry survives a restart of the only worker', () => {
  it('the message waiting for its retry is sent by the next process', async () => {
    const env = { ...FAST, RETRY_BASE_DELAY_MS: '1500', RETRY_MAX_DELAY_MS: '3000' };
    const first = await startApp(env);
    const client = api(first, testEnv().bootstrapApiKey);
    const created = await client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: [
          scripted(2),
          { phoneNumber: phoneNumber(0), variables: { name: 'a', code: '1' } },
        ],
      })
      .expect(201);
    await waitFor('the first failure of +12025550192', async () => {
      const [message] = await messageLog(client, created.body.id);
      return message.attempts >= 1 && message.status === 'pending' ? message : undefined;
    });
    await first.stop();

    const second = await startApp(env);
    try {
      const done = await waitForStatus(
        api(second, testEnv().bootstrapApiKey),
        created.body.id,
        ['completed'],
        30_000,
      );
      expect(done.progress).toMatchObject({ completed: 2, failed: 0, pending: 0 });
      const [message] = await messageLog(api(second, testEnv().bootstrapApiKey), created.body.id);
      expect(message).toMatchObject({ status: 'sent', attempts: 3 });
    } finally {
      await second.stop();
    }
  });
});

// Consent end to end (issue 17), on a database of its own (a deployment-wide opt-out would
// suppress the number for every other test file): suppressed numbers are dropped at ingest with a
// warning, a batch of nothing but suppressed numbers is refused and leaves nothing behind, one
// account's list changes nothing for another, and an opt-out that comes while a batch runs fails
// that number's pending message with SUPPRESSED without a provider call.
import { api, useIsolatedApp } from './support/api';
import { createAccount } from './support/app-process';
import { query, tableCounts, withDatabase } from './support/database';
import { insertSuppression } from './factories/suppressions';
import { batchStatus, messageLog, waitForStatus } from './support/dispatch';
import { recipients, TEMPLATE } from './factories/batch.factory';

const OPTED_OUT = '+12015550140';
const ON_MY_LIST = '+12015550141';

describe('Consent: suppressed numbers', () => {
  const service = useIsolatedApp('consent', {
    RATE_LIMIT_LOW: '2',
    SIMULATOR_LATENCY_MS: '0',
  });

  const suppress = (phoneNumber: string, accountId: string | null) =>
    withDatabase(service.databaseUrl, (client) =>
      insertSuppression(client, phoneNumber, accountId),
    );

  async function accountOf(client: ReturnType<typeof api>): Promise<string> {
    const created = await client
      .post('/api/batch', { text: 'x', recipients: recipients(1), options: { autoStart: false } })
      .expect(201);
    const [row] = await query<{ account_id: string }>(
      service.databaseUrl,
      `SELECT account_id FROM batches WHERE id = $1`,
      [created.body.id],
    );
    return row.account_id;
  }

  it("drops suppressed recipients at ingest, counts and names them, and keeps another account's list to itself", async () => {
    const me = await accountOf(service.client);
    const other = api(service.app, (await createAccount('Other', service.databaseUrl)).key);
    await suppress(OPTED_OUT, null);
    await suppress(ON_MY_LIST, me);
    const list = [
      { phoneNumber: '+12015550142', variables: { name: 'a', code: '1' } },
      // Written otherwise, the same number: suppressions hold for its E.164 form.
      { phoneNumber: '+1 (201) 555-0140', variables: { name: 'b', code: '2' } },
      { phoneNumber: '+12015550142', variables: { name: 'c', code: '3' } },
      { phoneNumber: ON_MY_LIST, variables: { name: 'd', code: '4' } },
    ];

    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list, options: { autoStart: false } })
      .expect(201);
    expect(created.body).toMatchObject({
      progress: { total: 1, pending: 1 },
      duplicatesDropped: 1,
      suppressedDropped: 2,
      warnings: [
        {
          code: 'SUPPRESSED_RECIPIENT',
          message: expect.stringContaining('suppressed'),
          recipients: [1, 3],
          recipientsTotal: 2,
        },
      ],
    });
    expect(created.body.warnings[0]).not.toHaveProperty('variable');
    const log = await messageLog(service.client, created.body.id);
    expect(log.map((m) => m.phoneNumber)).toEqual(['+12015550142']);

    // My list is mine: the other account sends to that number; the deployment-wide opt-out holds for it too.
    const theirs = await other
      .post('/api/batch', { text: TEMPLATE, recipients: list, options: { autoStart: false } })
      .expect(201);
    expect(theirs.body).toMatchObject({
      progress: { total: 2 },
      suppressedDropped: 1,
      warnings: [{ code: 'SUPPRESSED_RECIPIENT', recipients: [1] }],
    });
  });

  it('refuses a batch whose every recipient is suppressed, naming them, and stores nothing', async () => {
    const before = await tableCounts(service.databaseUrl);
    const refused = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: [
          { phoneNumber: OPTED_OUT, variables: { name: 'a', code: '1' } },
          { phoneNumber: ON_MY_LIST, variables: { name: 'b', code: '2' } },
        ],
      })
      .expect(400);
    expect(refused.body).toMatchObject({
      error: 'VALIDATION_FAILED',
      message: expect.stringContaining('suppressed'),
      details: [
        { path: 'recipients[0].phoneNumber', index: 0, code: 'SUPPRESSED_RECIPIENT' },
        { path: 'recipients[1].phoneNumber', index: 1, code: 'SUPPRESSED_RECIPIENT' },
      ],
    });
    expect(await tableCounts(service.databaseUrl)).toEqual(before);
  });

  it('fails a running batch’s pending message to a number that opted out meanwhile, without calling the provider', async () => {
    const late = '+12015550150';
    const list = [
      ...recipients(6).slice(0, 5),
      { phoneNumber: late, variables: { name: 'z', code: '9' } },
    ];
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list, options: { priority: 'low' } })
      .expect(201);
    // Two a second: the last message is due about 2.5 s after the first. Once the batch is under
    // way it is paused (a claim waiting for its permit's time is given back), the number opts
    // out, and the batch resumes.
    const deadline = Date.now() + 10_000;
    while ((await batchStatus(service.client, created.body.id)).progress.completed < 1) {
      if (Date.now() > deadline) throw new Error('the batch did not start sending');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await service.client.post(`/api/batch/${created.body.id}/pause`).expect(200);
    const settled = Date.now() + 10_000;
    while (
      (await messageLog(service.client, created.body.id)).some((m) => m.status === 'sending')
    ) {
      if (Date.now() > settled) throw new Error('claims were not given back after the pause');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await messageLog(service.client, created.body.id))[5].status).toBe('pending');
    await suppress(late, null);
    await service.client.post(`/api/batch/${created.body.id}/resume`).expect(200);
    const done = await waitForStatus(service.client, created.body.id, ['completed'], 20_000);
    expect(done.progress).toMatchObject({ total: 6, completed: 5, failed: 1, pending: 0 });
    const log = await messageLog(service.client, created.body.id);
    expect(log[5]).toMatchObject({
      phoneNumber: late,
      status: 'failed',
      attempts: 0,
      sentAt: null,
      lastError: { category: 'opted_out', code: 'SUPPRESSED' },
    });
    // The simulator never saw a call for it.
    const [calls] = await query<{ n: number }>(
      service.databaseUrl,
      `SELECT count(*)::int AS n FROM simulator_calls WHERE idempotency_key = $1`,
      [log[5].id],
    );
    expect(calls.n).toBe(0);
    expect((await batchStatus(service.client, created.body.id)).status).toBe('completed');
  });
});

describe('Consent: suppression lookups while the pool is small', () => {
  // Each ingest holds a connection for its COPY while its steps' numbers are looked up: with the
  // lookups on the same pool, two ingests at once on a pool of two waited for each other forever.
  const service = useIsolatedApp('consent_pool', { DATABASE_POOL_SIZE: '2' });

  it('ingests batches of several steps at once on a pool of two connections', async () => {
    const body = { text: TEMPLATE, recipients: recipients(25_000), options: { autoStart: false } };
    const answers = await Promise.all(
      [1, 2, 3].map(() => service.client.post('/api/batch', body).timeout(60_000)),
    );
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(answers.map((answer) => answer.body.progress.total)).toEqual([25_000, 25_000, 25_000]);
  }, 90_000);
});

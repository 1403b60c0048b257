import { createHash } from 'node:crypto';
import { canonicalJson } from '../src/common/canonical-json';
import { createAccount } from './support/app-process';
import { api, useApp } from './support/api';
import { query } from './support/database';
import { testEnv } from './support/test-env';
import { batchBody, TEMPLATE } from './factories/batch.factory';

describe('Idempotency-Key on POST /api/batch', () => {
  const service = useApp();
  const key = testEnv().bootstrapApiKey;

  const post = (idempotencyKey: string, body: unknown, apiKey = key) =>
    api(service.app, apiKey).post('/api/batch', body).set('Idempotency-Key', idempotencyKey);
  const batchCount = async () =>
    Number(
      (await query<{ n: string }>(testEnv().databaseUrl, 'SELECT count(*) AS n FROM batches'))[0].n,
    );

  it('replays the first 201 for the same key and an equal body (keys in any order), storing one batch', async () => {
    const body = batchBody({ options: { priority: 'low', autoStart: false } });
    const first = await post('order-42', body).expect(201);
    const count = await batchCount();
    const reordered = {
      options: { autoStart: false, priority: 'low' },
      recipients: body.recipients,
      text: body.text,
    };
    const second = await post('order-42', reordered).expect(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.location).toBe(first.headers.location);
    expect(await batchCount()).toBe(count);
  });

  it('422 IDEMPOTENCY_KEY_REUSED for the same key with another body', async () => {
    await post('order-43', batchBody()).expect(201);
    const count = await batchCount();
    const response = await post('order-43', batchBody({ text: 'Other {{name}} {{code}}' })).expect(
      422,
    );
    expect(response.body).toMatchObject({ statusCode: 422, error: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await batchCount()).toBe(count);
  });

  it('409 IDEMPOTENCY_IN_PROGRESS while the first request with the key is in flight', async () => {
    const body = batchBody();
    // The state of a request in flight: the key claimed, no answer recorded yet.
    const [{ id: accountId }] = await query<{ id: string }>(
      testEnv().databaseUrl,
      `SELECT id FROM accounts WHERE name = 'bootstrap'`,
    );
    const hash = createHash('sha256').update(canonicalJson(body)).digest('hex');
    await query(
      testEnv().databaseUrl,
      `INSERT INTO idempotency_keys (account_id, key, request_hash, holder, lease_until)
       VALUES ($1, $2, $3, gen_random_uuid(), now() + interval '1 minute')`,
      [accountId, 'in-flight-1', hash],
    );
    const response = await post('in-flight-1', body).expect(409);
    expect(response.body).toMatchObject({ statusCode: 409, error: 'IDEMPOTENCY_IN_PROGRESS' });
  });

  it('409 for a real concurrent duplicate: exactly one of two simultaneous requests stores the batch', async () => {
    const body = batchBody({}, 20_000);
    const count = await batchCount();
    const [a, b] = await Promise.all([post('race-1', body), post('race-1', body)]);
    expect([a.status, b.status].sort()).toEqual(expect.arrayContaining([201]));
    expect([a.status, b.status].every((s) => s === 201 || s === 409)).toBe(true);
    if (a.status === 201 && b.status === 201) expect(a.body.id).toBe(b.body.id);
    expect(await batchCount()).toBe(count + 1);
  });

  it('keeps nothing for a request that failed: the key works again afterwards', async () => {
    await post('retry-after-400', { text: TEMPLATE, recipients: [] }).expect(400);
    const ok = await post('retry-after-400', batchBody()).expect(201);
    expect(ok.body.id).toBeDefined();
  });

  it('keys are per account', async () => {
    const other = await createAccount('Idempotent Other');
    const mine = await post('shared-key', batchBody()).expect(201);
    const theirs = await post('shared-key', batchBody(), other.key).expect(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('400 for a malformed key', async () => {
    const response = await post('x'.repeat(256), batchBody()).expect(400);
    expect(response.body.details).toEqual([expect.objectContaining({ path: 'Idempotency-Key' })]);
  });
});

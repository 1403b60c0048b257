// The suppressions API and GET /api/inbound through the running service: an account's own entries
// (added, imported from CSV, lifted), the deployment-wide entries of its contacts, what another
// account sees of them (nothing), pages, and the 4xx answers that name what is wrong.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { api, useIsolatedApp, type ApiClient } from './support/api';
import { createAccount } from './support/app-process';
import { query } from './support/database';
import { testEnv } from './support/test-env';
import { phoneNumber } from './factories/batch.factory';
import { uuidV7s } from '../src/common/uuid-v7';

interface SuppressionBody {
  phoneNumber: string;
  scope: string;
  reason: string;
  source: string | null;
  createdAt: string;
}
interface PageBody<T> {
  items: T[];
  nextCursor: string | null;
}

describe('suppressions and inbound messages over REST', () => {
  const service = useIsolatedApp('suppressions');
  let other: ApiClient;
  let otherKey: string;
  let accountId: string;
  let otherAccountId: string;

  const csv = (client: { key: string }, text: string, type = 'text/csv') =>
    request(service.app.url)
      .post('/api/suppressions/import')
      .set('Authorization', `Bearer ${client.key}`)
      .set('Content-Type', type)
      .send(text);
  const remove = (key: string, number: string) =>
    request(service.app.url)
      .delete(`/api/suppressions/${encodeURIComponent(number)}`)
      .set('Authorization', `Bearer ${key}`);
  const list = async (client: ApiClient, qs = '') =>
    (await client.get(`/api/suppressions${qs}`).expect(200)).body as PageBody<SuppressionBody>;
  const ownCount = async (account: string) =>
    Number(
      (
        await query<{ n: string }>(
          service.databaseUrl,
          'SELECT count(*) AS n FROM suppressions WHERE account_id = $1',
          [account],
        )
      )[0].n,
    );

  beforeAll(async () => {
    otherKey = (await createAccount('Other', service.databaseUrl)).key;
    other = api(service.app, otherKey);
    const accounts = await query<{ id: string; name: string }>(
      service.databaseUrl,
      'SELECT id, name FROM accounts',
    );
    otherAccountId = accounts.find((a) => a.name === 'Other')!.id;
    accountId = accounts.find((a) => a.name !== 'Other')!.id;
  });

  it('adds numbers in E.164, lists them, filters them, and lifts one; another account sees and lifts none of them', async () => {
    const { client } = service;
    const added = await client
      .post('/api/suppressions', {
        phoneNumbers: ['+12025550142', '+1 (202) 555-0143', '+12025550142'],
      })
      .expect(200);
    expect(added.body).toEqual({ added: 2, alreadyPresent: 1 });
    const again = await client
      .post('/api/suppressions', { phoneNumbers: ['+12025550143'], reason: 'manual' })
      .expect(200);
    expect(again.body).toEqual({ added: 0, alreadyPresent: 1 });

    const page = await list(client);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((i) => i.phoneNumber).sort()).toEqual(['+12025550142', '+12025550143']);
    for (const item of page.items) {
      expect(item).toEqual({
        phoneNumber: item.phoneNumber,
        scope: 'account',
        reason: 'manual',
        source: null,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    }
    const filtered = await list(client, `?phoneNumber=${encodeURIComponent('+1 202 555 0143')}`);
    expect(filtered.items.map((i) => i.phoneNumber)).toEqual(['+12025550143']);
    expect((await list(client, '?reason=import')).items).toEqual([]);

    // The other account: lists nothing, and cannot lift the first account's entries.
    expect((await list(other)).items).toEqual([]);
    const foreign = await remove(otherKey, '+12025550142').expect(404);
    expect(foreign.body).toMatchObject({ statusCode: 404, error: 'SUPPRESSION_NOT_FOUND' });
    expect((await list(client, '?phoneNumber=%2B12025550142')).items).toHaveLength(1);
    // Its own entry for the same number is its own.
    await other.post('/api/suppressions', { phoneNumbers: ['+12025550142'] }).expect(200);
    await remove(otherKey, '+12025550142').expect(204);
    expect((await list(client, '?phoneNumber=%2B12025550142')).items).toHaveLength(1);

    await remove(testKey(), '+1 202-555-0143').expect(204);
    const gone = await remove(testKey(), '+12025550143').expect(404);
    expect(gone.body.error).toBe('SUPPRESSION_NOT_FOUND');
    await remove(testKey(), 'not-a-number').expect(404);
    expect((await list(client)).items.map((i) => i.phoneNumber)).toEqual(['+12025550142']);
  });

  it('shows a deployment-wide entry to the accounts that have the number as a contact, its source to the account the reply came to, and lifts it for nobody', async () => {
    const shared = '+12025550150';
    const stranger = '+12025550151';
    const [inbound] = await query<{ id: string }>(
      service.databaseUrl,
      `INSERT INTO inbound_messages (provider, provider_message_id, from_number, to_number, body, account_id, action)
       VALUES ('twilio', $1, $2, '+15005550006', 'STOP', $3, 'opt_out') RETURNING id`,
      [`SM${randomUUID()}`, shared, accountId],
    );
    await query(
      service.databaseUrl,
      `INSERT INTO suppressions (id, phone_number, account_id, scope, reason, source)
       VALUES ($1, $2, NULL, 'deployment', 'stop_reply', $3), ($4, $5, NULL, 'deployment', 'provider_opt_out', '21610')`,
      [uuid7(), shared, inbound.id, uuid7(), stranger],
    );
    await query(
      service.databaseUrl,
      `INSERT INTO contacts (account_id, phone_number, provider, sender, last_sent_at)
       VALUES ($1, $3, 'twilio', '+15005550006', now()), ($2, $3, 'twilio', '+15005550007', now())`,
      [accountId, otherAccountId, shared],
    );

    const mine = await list(service.client, '?reason=stop_reply');
    expect(mine.items).toEqual([
      expect.objectContaining({ phoneNumber: shared, scope: 'deployment', source: inbound.id }),
    ]);
    const theirs = await list(other);
    expect(theirs.items).toEqual([
      expect.objectContaining({ phoneNumber: shared, scope: 'deployment', source: null }),
    ]);
    expect(JSON.stringify(theirs)).not.toContain(inbound.id);
    // Nobody's contact: listed to nobody.
    expect((await list(service.client, `?phoneNumber=%2B${stranger.slice(1)}`)).items).toEqual([]);
    // Lifted by START only, not here.
    await remove(testKey(), shared).expect(404);
    expect((await list(service.client, '?reason=stop_reply')).items).toHaveLength(1);
  });

  it('pages newest first with the cursor, every entry once', async () => {
    const numbers = Array.from({ length: 7 }, (_, i) => `+1202555016${i}`);
    for (const number of numbers) {
      await other.post('/api/suppressions', { phoneNumbers: [number] }).expect(200);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
      const page: PageBody<SuppressionBody> = await list(other, qs);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((i) => i.phoneNumber));
      cursor = page.nextCursor;
    } while (cursor);
    // The deployment-wide entry of its contact (the oldest) comes last.
    expect(seen).toEqual([...numbers].reverse().concat('+12025550150'));
  });

  it('refuses bad input with 4xx answers naming the field, storing nothing', async () => {
    const { client } = service;
    const before = await ownCount(accountId);
    const invalid = await client
      .post('/api/suppressions', { phoneNumbers: ['+12025550170', 'nope', 5, '+1 555'] })
      .expect(400);
    expect(invalid.body.error).toBe('VALIDATION_FAILED');
    expect(invalid.body.details).toEqual([
      { path: 'phoneNumbers[2]', index: 2, message: 'must be a string' },
    ]);
    const numbers = await client
      .post('/api/suppressions', { phoneNumbers: ['+12025550170', 'nope', '+1 555'] })
      .expect(400);
    expect(numbers.body.details).toEqual([
      expect.objectContaining({ path: 'phoneNumbers[1]', index: 1 }),
      expect.objectContaining({ path: 'phoneNumbers[2]', index: 2 }),
    ]);
    const reason = await client
      .post('/api/suppressions', { phoneNumbers: ['+12025550170'], reason: 'stop_reply' })
      .expect(400);
    expect(reason.body.details).toEqual([expect.objectContaining({ path: 'reason' })]);
    const unknown = await client
      .post('/api/suppressions', { phoneNumbers: ['+12025550170'], extra: 1 })
      .expect(400);
    expect(unknown.body.details).toEqual([expect.objectContaining({ path: 'extra' })]);
    const empty = await client.post('/api/suppressions', { phoneNumbers: [] }).expect(400);
    expect(empty.body.details).toEqual([expect.objectContaining({ path: 'phoneNumbers' })]);
    const tooMany = await client
      .post('/api/suppressions', {
        phoneNumbers: Array.from({ length: 10_001 }, (_, i) => phoneNumber(i)),
      })
      .expect(413);
    expect(tooMany.body).toMatchObject({
      error: 'PAYLOAD_TOO_LARGE',
      details: [{ path: 'phoneNumbers', message: 'has 10001 items; the limit is 10000' }],
    });
    expect(await ownCount(accountId)).toBe(before);

    const badFilter = await client.get('/api/suppressions?phoneNumber=abc').expect(400);
    expect(badFilter.body.details).toEqual([expect.objectContaining({ path: 'phoneNumber' })]);
    const badReason = await client.get('/api/suppressions?reason=later').expect(400);
    expect(badReason.body.details).toEqual([expect.objectContaining({ path: 'reason' })]);
    const badCursor = await client.get('/api/suppressions?cursor=abc').expect(400);
    expect(badCursor.body.details).toEqual([expect.objectContaining({ path: 'cursor' })]);
    await client.get('/api/suppressions?limit=501').expect(400);
    await client.get('/api/inbound?cursor=abc').expect(400);
  });

  it('imports 100,000 numbers from CSV, and a second import finds them all present', async () => {
    const count = 100_000;
    const lines = ['name,phoneNumber'];
    for (let i = 0; i < count; i++) lines.push(`n${i},${phoneNumber(i)}`);
    const body = `${lines.join('\n')}\n`;
    const first = await csv({ key: otherKey }, body).expect(200);
    expect(first.body).toEqual({
      imported: count,
      alreadyPresent: 0,
      invalid: [],
      invalidTotal: 0,
    });
    const second = await csv({ key: otherKey }, body).expect(200);
    expect(second.body).toEqual({
      imported: 0,
      alreadyPresent: count,
      invalid: [],
      invalidTotal: 0,
    });
    expect(await ownCount(otherAccountId)).toBe(count + 7);
    const imported = await list(other, '?reason=import&limit=1');
    expect(imported.items[0]).toMatchObject({ scope: 'account', reason: 'import', source: null });
  });

  it('reports invalid lines by their line number, reading quoted fields, and refuses unreadable bodies', async () => {
    const key = { key: testKey() };
    const text = [
      'phoneNumber,"note, with comma"', // 1
      '+12025550180,plain', // 2
      '"+1 (202) 555-0181","two', // 3
      'lines"', // 4
      '', // 5 (blank: skipped)
      'not a number,x', // 6
      ',empty', // 7
      '"+12025550180",again', // 8
      '+1 555,short', // 9
    ].join('\r\n');
    const answer = await csv(key, text).expect(200);
    expect(answer.body).toEqual({
      imported: 2,
      alreadyPresent: 1,
      invalid: [
        { line: 6, message: expect.stringContaining('"not a number"') },
        { line: 7, message: 'phoneNumber is empty' },
        { line: 9, message: expect.stringContaining('"+1 555"') },
      ],
      invalidTotal: 3,
    });
    const many = ['phoneNumber', ...Array.from({ length: 150 }, (_, i) => `bad${i}`)].join('\n');
    const capped = await csv(key, many).expect(200);
    expect(capped.body.invalidTotal).toBe(150);
    expect(capped.body.invalid).toHaveLength(100);
    expect(capped.body.invalid[99].line).toBe(101);

    const before = await ownCount(accountId);
    const noColumn = await csv(key, 'number\n+12025550190\n').expect(400);
    expect(noColumn.body.details).toEqual([expect.objectContaining({ path: 'phoneNumber' })]);
    await csv(key, '').expect(400);
    const broken = await csv(key, 'phoneNumber\n+12025550191\n"+1202555"0192\n').expect(400);
    expect(broken.body.message).toContain('CSV');
    await csv(key, 'phoneNumber\n+12025550193\n', 'application/json').expect(415);
    await csv(key, 'phoneNumber\n+12025550193\n', 'text/csv; charset=latin1').expect(415);
    expect(await ownCount(accountId)).toBe(before);
  });

  it('lists the inbound messages attributed to the account, newest first, with their replies', async () => {
    const insert = (account: string | null, body: string, seconds: number, reply: boolean) =>
      query(
        service.databaseUrl,
        `INSERT INTO inbound_messages (provider, provider_message_id, from_number, to_number, body, received_at, account_id, action, reply_status, reply_provider_message_id)
         VALUES ('simulated', $1, '+12025550199', 'salvo', $2, now() - make_interval(secs => $3), $4, $5, $6, $7)`,
        [
          `sim-${randomUUID()}`,
          body,
          seconds,
          account,
          reply ? 'help' : 'none',
          reply ? 'sent' : null,
          reply ? 'sim-reply-1' : null,
        ],
      );
    await insert(otherAccountId, 'third', 10, false);
    await insert(otherAccountId, 'HELP', 20, true);
    await insert(otherAccountId, 'first', 30, false);
    await insert(null, 'nobody', 5, false);
    await insert(accountId, 'mine', 5, false);

    const all = (await other.get('/api/inbound').expect(200)).body as PageBody<
      Record<string, unknown>
    >;
    expect(all.items.map((i) => i.body)).toEqual(['third', 'HELP', 'first']);
    expect(all.items[1]).toEqual({
      id: expect.any(String),
      provider: 'simulated',
      from: '+12025550199',
      to: 'salvo',
      body: 'HELP',
      receivedAt: expect.any(String),
      action: 'help',
      reply: { status: 'sent', providerMessageId: 'sim-reply-1', error: null },
    });
    expect(all.items[0].reply).toBeNull();

    const first = (await other.get('/api/inbound?limit=2').expect(200)).body as PageBody<
      Record<string, unknown>
    >;
    expect(first.items.map((i) => i.body)).toEqual(['third', 'HELP']);
    const rest = (await other.get(`/api/inbound?limit=2&cursor=${first.nextCursor}`).expect(200))
      .body as PageBody<Record<string, unknown>>;
    expect(rest).toEqual({ items: [expect.objectContaining({ body: 'first' })], nextCursor: null });

    const mine = (await service.client.get('/api/inbound').expect(200)).body as PageBody<
      Record<string, unknown>
    >;
    // With the STOP inserted by the deployment-wide test above, attributed to this account.
    expect(mine.items.map((i) => i.body).sort()).toEqual(['STOP', 'mine']);
  });
});

const testKey = () => testEnv().bootstrapApiKey;
/** Rows inserted directly get ids as Salvo makes them: the list's keyset is the id. */
const uuid7 = () => uuidV7s(1)[0];

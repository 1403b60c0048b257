// The key lifecycle: create, list and revoke over REST and the CLI, a revoked key refused at once
// and its sockets closed on every API process, lastUsedAt kept without a write per request.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { useIsolatedApp } from './support/api';
import {
  createAccount,
  runKeysCli,
  startApp,
  type CliRun,
  type RunningApp,
} from './support/app-process';
import { dropDatabase, query, withDatabase } from './support/database';
import { connect, refused, type BatchSocket } from './support/sockets';
import { scratchDatabaseUrl, testEnv } from './support/test-env';
import { waitFor } from './support/wait';

interface KeyBody {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}
type CreatedKeyBody = KeyBody & { key: string };

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
/** What lists show of a key not of Salvo's form. */
const fingerprint = (key: string) =>
  `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
/** The promise of a revocation to live sockets: the broadcast, or else the sweep every 1.5 s. */
const BROADCAST_MS = 2_000;

async function createKey(app: RunningApp, key: string, name = 'ci'): Promise<CreatedKeyBody> {
  const response = await request(app.url).post('/api/keys').set(auth(key)).send({ name });
  expect(response.status).toBe(201);
  return response.body as CreatedKeyBody;
}

async function listKeys(app: RunningApp, key: string): Promise<KeyBody[]> {
  const response = await request(app.url).get('/api/keys').set(auth(key)).expect(200);
  return (response.body as { items: KeyBody[] }).items;
}

const revoke = (app: RunningApp, key: string, id: string) =>
  request(app.url).delete(`/api/keys/${id}`).set(auth(key));

/** Resolves with the time the socket was disconnected by the server. */
function disconnection(client: BatchSocket): Promise<number> {
  return new Promise((resolve) => client.socket.once('disconnect', () => resolve(Date.now())));
}

/** The time of the disconnection; fails the test if it has not come within `ms`. */
async function disconnectedWithin(disconnected: Promise<number>, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`The socket was still connected ${ms} ms later`)),
      ms,
    );
  });
  return Promise.race([disconnected, late]).finally(() => clearTimeout(timer));
}

describe('API keys', () => {
  const service = useIsolatedApp('keys');
  const redisPrefix = `${testEnv().redisPrefix}-keys`;
  /** A second API process on the same database and Redis prefix. */
  let other: RunningApp;
  let owner: string;
  const sockets: BatchSocket[] = [];

  beforeAll(async () => {
    other = await startApp({
      DATABASE_URL: service.databaseUrl,
      REDIS_PREFIX: redisPrefix,
      APP_ROLE: 'api',
    });
    owner = testEnv().bootstrapApiKey;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await other?.stop();
  });

  const open = async (app: RunningApp, key: string) => {
    const client = await connect(app, key);
    sockets.push(client);
    return client;
  };
  const newAccount = async (name: string) => (await createAccount(name, service.databaseUrl)).key;

  describe('over REST', () => {
    it('creates a key whose secret is shown once: the list shows only its prefix', async () => {
      const created = await createKey(service.app, owner, 'ci deploys');
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'ci deploys',
        prefix: created.key.slice(0, 12),
        createdAt: expect.any(String),
        lastUsedAt: null,
        key: expect.stringMatching(/^salvo_[A-Za-z0-9_-]{43}$/),
      });
      await request(service.app.url).get('/api/batch').set(auth(created.key)).expect(200);

      const list = await request(service.app.url).get('/api/keys').set(auth(owner)).expect(200);
      expect(list.text).not.toContain(created.key);
      const listed = (list.body as { items: KeyBody[] }).items.find((k) => k.id === created.id);
      // lastUsedAt: null, or the use just made once its write (not awaited by the request) landed.
      const { lastUsedAt, ...rest } = listed!;
      expect(rest).toEqual({
        id: created.id,
        name: 'ci deploys',
        prefix: created.prefix,
        createdAt: created.createdAt,
      });
      expect(lastUsedAt === null || typeof lastUsedAt === 'string').toBe(true);
      expect(Object.keys(listed!)).not.toContain('key');
      // The first key of the account is listed too, by the name account creation gave it.
      expect((await listKeys(service.app, owner)).map((k) => k.name)).toContain('default');
    });

    it.each([
      ['an empty name', { name: '' }, 'must not be empty or blank'],
      ['a blank name', { name: '   ' }, 'must not be empty or blank'],
      ['101 characters', { name: 'x'.repeat(101) }, 'must be at most 100 characters'],
      ['a newline', { name: 'a\nb' }, 'must not contain control or invisible characters'],
      ['a NUL', { name: 'a\u0000b' }, 'must not contain control or invisible characters'],
      [
        'an escape sequence',
        { name: '\u001b[31mred' },
        'must not contain control or invisible characters',
      ],
      ['a bidi override', { name: 'a\u202eb' }, 'must not contain control or invisible characters'],
      [
        'a zero-width space',
        { name: 'a\u200bb' },
        'must not contain control or invisible characters',
      ],
      [
        'a line separator',
        { name: 'a\u2028b' },
        'must not contain control or invisible characters',
      ],
      ['only invisible characters', { name: '\u200b\u202e' }, 'must not be empty or blank'],
      ['a number', { name: 42 }, 'must be a string'],
      ['no name', {}, 'must be a string'],
    ])('refuses %s with a 400 naming name, and stores nothing', async (_what, body, message) => {
      const before = (await listKeys(service.app, owner)).length;
      const response = await request(service.app.url).post('/api/keys').set(auth(owner)).send(body);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        error: 'VALIDATION_FAILED',
        details: [{ path: 'name', message }],
      });
      expect(await listKeys(service.app, owner)).toHaveLength(before);
    });

    it('takes a name of exactly 100 characters, any script', async () => {
      const name = 'é'.repeat(99) + '✓';
      expect((await createKey(service.app, owner, name)).name).toBe(name);
    });

    it('revokes a key: refused at once on every API process, gone from the list, its row kept', async () => {
      const created = await createKey(service.app, owner, 'to revoke');
      await request(other.url).get('/api/batch').set(auth(created.key)).expect(200);

      await revoke(service.app, owner, created.id).expect(204);

      for (const app of [service.app, other]) {
        const response = await request(app.url).get('/api/batch').set(auth(created.key));
        expect(response.status).toBe(401);
        expect(response.body).toMatchObject({ error: 'UNAUTHORIZED' });
      }
      expect((await listKeys(service.app, owner)).map((k) => k.id)).not.toContain(created.id);
      const [row] = await query<{ revoked_at: Date | null }>(
        service.databaseUrl,
        'SELECT revoked_at FROM api_keys WHERE id = $1',
        [created.id],
      );
      expect(row.revoked_at).toBeInstanceOf(Date);
    });

    it('answers 404 KEY_NOT_FOUND alike for an unknown, a foreign and a revoked key id', async () => {
      const foreignAccount = await newAccount('Foreign keys');
      const foreign = await createKey(service.app, foreignAccount, 'foreign');
      const revoked = await createKey(service.app, owner, 'revoked');
      await revoke(service.app, owner, revoked.id).expect(204);

      const answers = [];
      for (const id of [UNKNOWN_ID, foreign.id, revoked.id]) {
        const response = await revoke(service.app, owner, id);
        expect(response.status).toBe(404);
        answers.push({ ...response.body, message: response.body.message.replace(id, '<id>') });
      }
      expect(answers[0]).toMatchObject({ statusCode: 404, error: 'KEY_NOT_FOUND' });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
      // The foreign key is untouched and not listed to the caller.
      await request(service.app.url).get('/api/batch').set(auth(foreign.key)).expect(200);
      expect((await listKeys(service.app, owner)).map((k) => k.id)).not.toContain(foreign.id);
      expect((await listKeys(service.app, foreignAccount)).map((k) => k.id)).toContain(foreign.id);

      const invalid = await revoke(service.app, owner, 'not-a-uuid');
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({ error: 'INVALID_ID' });
    });

    it("refuses to revoke the account's last active key (409 LAST_KEY)", async () => {
      const only = await newAccount('One key');
      const [key] = await listKeys(service.app, only);
      const response = await revoke(service.app, only, key.id);
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({ error: 'LAST_KEY' });
      await request(service.app.url).get('/api/batch').set(auth(only)).expect(200);
    });

    const activeKeysOf = async (keyId: string) => {
      const [active] = await query<{ n: string }>(
        service.databaseUrl,
        `SELECT count(*) AS n FROM api_keys k JOIN api_keys f ON f.account_id = k.account_id
          WHERE f.id = $1 AND k.revoked_at IS NULL`,
        [keyId],
      );
      return Number(active.n);
    };

    it('lets only one of two concurrent revocations of the last two keys pass, on two processes', async () => {
      for (let round = 0; round < 10; round++) {
        const first = await newAccount(`Race ${round}`);
        const [firstKey] = await listKeys(service.app, first);
        const second = await createKey(service.app, first, 'second');
        // Each key revokes itself, on another process: each alone would pass.
        const answers = await Promise.all([
          revoke(service.app, first, firstKey.id),
          revoke(other, second.key, second.id),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([204, 409]);
        expect(answers.find((a) => a.status === 409)!.body).toMatchObject({ error: 'LAST_KEY' });
        expect(await activeKeysOf(firstKey.id)).toBe(1);
      }
    });

    it('lets only one of two keys revoking each other pass: the loser is a 401, at authentication or under the lock', async () => {
      for (let round = 0; round < 10; round++) {
        const first = await newAccount(`Cross ${round}`);
        const [firstKey] = await listKeys(service.app, first);
        const second = await createKey(service.app, first, 'second');
        const answers = await Promise.all([
          revoke(service.app, second.key, firstKey.id),
          revoke(other, first, second.id),
        ]);
        expect(answers.map((a) => a.status).sort()).toEqual([204, 401]);
        expect(answers.find((a) => a.status === 401)!.body).toMatchObject({
          error: 'UNAUTHORIZED',
        });
        expect(await activeKeysOf(firstKey.id)).toBe(1);
      }
    });

    /**
     * Whether a statement like `pattern` waits for a lock. Read on a connection of its own: within
     * a transaction, pg_stat_activity answers the same snapshot every time.
     */
    const waitingOnLock = async (pattern: string) => {
      const [row] = await query<{ n: number }>(
        service.databaseUrl,
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE $1`,
        [pattern],
      );
      return row.n > 0;
    };

    describe('a key revoked while its request waits for the account lock', () => {
      /**
       * Holds the account's row lock from a connection of the test while `send` makes a request,
       * waits until that request waits for the lock, revokes `revokedKeyId` in the same
       * transaction and commits: the request then reads a revoked key under the lock.
       */
      async function revokedWhileWaiting(
        revokedKeyId: string,
        send: () => Promise<request.Response>,
      ): Promise<request.Response> {
        return withDatabase(service.databaseUrl, async (client) => {
          await client.query('BEGIN');
          await client.query(
            `SELECT id FROM accounts
              WHERE id = (SELECT account_id FROM api_keys WHERE id = $1) FOR UPDATE`,
            [revokedKeyId],
          );
          const answer = send();
          try {
            await waitFor('the request to wait for the account lock', () =>
              waitingOnLock('%FROM accounts%'),
            );
            await client.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [
              revokedKeyId,
            ]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw error;
          }
          return answer;
        });
      }

      it('POST /api/keys answers 401 and creates nothing', async () => {
        const accountKey = await newAccount('Revoked while creating');
        const doomed = await createKey(service.app, accountKey, 'doomed');
        const answer = await revokedWhileWaiting(doomed.id, async () =>
          request(service.app.url).post('/api/keys').set(auth(doomed.key)).send({ name: 'minted' }),
        );
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({ error: 'UNAUTHORIZED' });
        const minted = await query(service.databaseUrl, 'SELECT id FROM api_keys WHERE name = $1', [
          'minted',
        ]);
        expect(minted).toEqual([]);
      });

      it('DELETE /api/keys/:id answers 401 and revokes nothing', async () => {
        const accountKey = await newAccount('Revoked while revoking');
        const doomed = await createKey(service.app, accountKey, 'doomed');
        const target = await createKey(service.app, accountKey, 'target');
        const answer = await revokedWhileWaiting(doomed.id, async () =>
          revoke(service.app, doomed.key, target.id),
        );
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({ error: 'UNAUTHORIZED' });
        await request(service.app.url).get('/api/batch').set(auth(target.key)).expect(200);
        expect((await listKeys(service.app, accountKey)).map((k) => k.name).sort()).toEqual([
          'default',
          'target',
        ]);
      });
    });

    it('holds the account lock without blocking inserts that reference the account', async () => {
      // A key creation is made to wait on its INSERT (the test holds api_keys in SHARE mode), with
      // the account's row lock taken: a batch of the account is created meanwhile. Under FOR
      // UPDATE it waited, since its foreign key check takes FOR KEY SHARE on the account's row.
      const accountKey = await newAccount('Lock mode');
      await withDatabase(service.databaseUrl, async (client) => {
        await client.query('BEGIN');
        let creating: Promise<request.Response> | undefined;
        try {
          await client.query('LOCK TABLE api_keys IN SHARE MODE');
          creating = request(service.app.url)
            .post('/api/keys')
            .set(auth(accountKey))
            .send({ name: 'held' })
            .then((response) => response);
          await waitFor('the key creation to wait on its insert', () =>
            waitingOnLock('INSERT INTO%api_keys%'),
          );
          const batch = await request(service.app.url)
            .post('/api/batch')
            .set(auth(accountKey))
            .send({ text: 'hello', recipients: [{ phoneNumber: '+12025550100' }] })
            .timeout(10_000);
          expect(batch.status).toBe(201);
        } finally {
          await client.query('COMMIT');
        }
        expect((await creating)?.status).toBe(201);
      });
    });

    it('documents and answers 413 for a DELETE body over 16 kB', async () => {
      const response = await revoke(service.app, owner, UNKNOWN_ID)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ pad: 'x'.repeat(17 * 1024) }));
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ error: 'PAYLOAD_TOO_LARGE' });
    });

    it('caps an account at 100 active keys (429 LIMIT_REACHED); revoking one makes room', async () => {
      const busy = await newAccount('Many keys');
      const ids: string[] = [];
      for (let i = 1; i < 100; i++) ids.push((await createKey(service.app, busy, `k${i}`)).id);
      const refusedKey = await request(service.app.url)
        .post('/api/keys')
        .set(auth(busy))
        .send({ name: 'one too many' });
      expect(refusedKey.status).toBe(429);
      expect(refusedKey.body).toMatchObject({ error: 'LIMIT_REACHED' });
      expect(await listKeys(service.app, busy)).toHaveLength(100);
      await revoke(service.app, busy, ids[0]).expect(204);
      await createKey(service.app, busy, 'room again');
    });

    it('shows lastUsedAt once a key is used, over REST or a handshake, without a write per request', async () => {
      const rest = await createKey(service.app, owner, 'used over REST');
      const socket = await createKey(service.app, owner, 'used by a socket');
      const lastUsed = async (id: string) =>
        (await listKeys(service.app, owner)).find((k) => k.id === id)?.lastUsedAt ?? null;
      expect(await lastUsed(rest.id)).toBeNull();

      const before = Date.now();
      await request(other.url).get('/api/batch').set(auth(rest.key)).expect(200);
      const first = await waitFor('lastUsedAt of the REST key', () => lastUsed(rest.id), {
        timeoutMs: 10_000,
      });
      expect(Date.parse(first)).toBeGreaterThanOrEqual(before - 1_000);
      expect(Date.parse(first)).toBeLessThanOrEqual(Date.now() + 1_000);

      // Within the minute, more requests on the same process write nothing more.
      for (let i = 0; i < 5; i++) {
        await request(other.url).get('/api/batch').set(auth(rest.key)).expect(200);
      }
      await sleep(500);
      expect(await lastUsed(rest.id)).toBe(first);

      await open(service.app, socket.key);
      await waitFor('lastUsedAt of the socket key', () => lastUsed(socket.id), {
        timeoutMs: 10_000,
      });
    });

    it('never moves lastUsedAt backwards (a later write of another process stands)', async () => {
      const ahead = await createKey(service.app, owner, 'written ahead');
      const sentinel = await createKey(service.app, owner, 'sentinel');
      // As if another process had just written a later use.
      const later = new Date(Date.now() + 3_600_000);
      await query(service.databaseUrl, 'UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [
        ahead.id,
        later,
      ]);
      await request(other.url).get('/api/batch').set(auth(ahead.key)).expect(200);
      await request(other.url).get('/api/batch').set(auth(sentinel.key)).expect(200);
      const lastUsed = async (id: string) => {
        const [row] = await query<{ last_used_at: Date | null }>(
          service.databaseUrl,
          'SELECT last_used_at FROM api_keys WHERE id = $1',
          [id],
        );
        return row.last_used_at;
      };
      // The sentinel's write, made after the other one, has landed: so has the other.
      await waitFor('lastUsedAt of the sentinel', () => lastUsed(sentinel.id), {
        timeoutMs: 10_000,
      });
      await sleep(200);
      expect((await lastUsed(ahead.id))?.getTime()).toBe(later.getTime());
    });
  });

  describe('live sockets', () => {
    it("closes a revoked key's socket on the other API process within 2 s and refuses its reconnect", async () => {
      const created = await createKey(service.app, owner, 'dashboard');
      const keep = await createKey(service.app, owner, 'kept');
      const doomed = await open(other, created.key);
      const kept = await open(other, keep.key);
      const sameKeyHere = await open(service.app, created.key);
      expect(await doomed.ask('subscribe', { all: true })).toEqual({ ok: true });
      const gone = disconnection(doomed);
      const goneHere = disconnection(sameKeyHere);

      const revokedAt = Date.now();
      await revoke(service.app, owner, created.id).expect(204);
      const [at, atHere] = await Promise.all([
        disconnectedWithin(gone, 10_000),
        disconnectedWithin(goneHere, 10_000),
      ]);
      expect(at - revokedAt).toBeLessThan(BROADCAST_MS);
      expect(atHere - revokedAt).toBeLessThan(BROADCAST_MS);

      for (const app of [other, service.app]) {
        expect((await refused(app, created.key))?.data?.code).toBe('UNAUTHORIZED');
      }
      // Another key's socket of the same account stays.
      await sleep(500);
      expect(kept.socket.connected).toBe(true);
      expect(await kept.ask('subscribe', { all: true })).toEqual({ ok: true });
    });

    it('drops the socket of a key deleted from the database by hand, at the next sweep', async () => {
      const created = await createKey(service.app, owner, 'deleted by hand');
      const client = await open(other, created.key);
      const gone = disconnection(client);
      await query(service.databaseUrl, 'DELETE FROM api_keys WHERE id = $1', [created.id]);
      const deletedAt = Date.now();
      await request(service.app.url).get('/api/batch').set(auth(created.key)).expect(401);
      // Every process sweeps every 1.5 s: within the same 2 s as the broadcast.
      expect((await disconnectedWithin(gone, 10_000)) - deletedAt).toBeLessThan(BROADCAST_MS);
      expect((await refused(other, created.key))?.data?.code).toBe('UNAUTHORIZED');
    });
  });

  describe('CLI', () => {
    const cli = (args: string[]) =>
      runKeysCli(args, { DATABASE_URL: service.databaseUrl, REDIS_PREFIX: redisPrefix });
    const expectExit = (run: CliRun, code: number) => {
      if (run.code !== code)
        throw new Error(`exit ${run.code}, not ${code}:\n${run.stdout}${run.stderr}`);
    };

    it('key:create by account name or id prints the key alone on its last line', async () => {
      const accountKey = await newAccount('Cli Corp');
      const [{ id: firstKeyId }] = await listKeys(service.app, accountKey);
      const [{ account_id: accountId }] = await query<{ account_id: string }>(
        service.databaseUrl,
        'SELECT account_id FROM api_keys WHERE id = $1',
        [firstKeyId],
      );

      const byName = await cli(['create', 'Cli Corp', 'nightly', 'export']);
      expectExit(byName, 0);
      expect(byName.lastLine).toMatch(/^salvo_[A-Za-z0-9_-]{43}$/);
      expect(byName.stdout).toContain('nightly export');
      const byId = await cli(['create', accountId]);
      expectExit(byId, 0);
      for (const key of [byName.lastLine, byId.lastLine]) {
        await request(other.url).get('/api/batch').set(auth(key)).expect(200);
      }
      const names = (await listKeys(service.app, accountKey)).map((k) => k.name);
      expect(names).toEqual(expect.arrayContaining(['default', 'nightly export', 'cli']));
    });

    it('key:create refuses unknown and ambiguous accounts and bad names, with their exit codes', async () => {
      const unknown = await cli(['create', 'No Such Account']);
      expectExit(unknown, 3);
      expect(unknown.stderr).toContain('No account has the id or name "No Such Account"');

      await newAccount('Twin');
      await newAccount('Twin');
      const ambiguous = await cli(['create', 'Twin']);
      expectExit(ambiguous, 4);
      expect(ambiguous.stderr).toContain('2 accounts are named "Twin"');

      await newAccount('Bad names');
      const badName = await cli(['create', 'Bad names', 'a\u001bb']);
      expectExit(badName, 2);
      expect(badName.stderr).toContain('name must not contain control or invisible characters');
      const bidi = await cli(['create', 'Bad names', 'a\u202eb']);
      expectExit(bidi, 2);

      expectExit(await cli(['create']), 2);
      expectExit(await cli(['frobnicate']), 2);
    });

    it('key:list shows active keys with prefixes, never the keys', async () => {
      const accountKey = await newAccount('Listed Ltd');
      const created = await createKey(service.app, accountKey, 'listed');
      const revokedKey = await createKey(service.app, accountKey, 'revoked one');
      await revoke(service.app, accountKey, revokedKey.id).expect(204);

      const one = await cli(['list', 'Listed Ltd']);
      expectExit(one, 0);
      expect(one.stdout).toContain(created.id);
      expect(one.stdout).toContain(created.prefix);
      expect(one.stdout).toContain('listed');
      expect(one.stdout).not.toContain(created.key);
      expect(one.stdout).not.toContain(accountKey);
      expect(one.stdout).not.toContain(revokedKey.id);
      expect(one.stdout).not.toContain('Cli Corp');

      const all = await cli(['list']);
      expectExit(all, 0);
      expect(all.stdout).toContain('Listed Ltd');
      expect(all.stdout).toContain('Cli Corp');

      expectExit(await cli(['list', 'Nobody']), 3);
    });

    it('key:revoke refuses the key at once, closes its sockets everywhere, and keeps the last-key rule', async () => {
      const accountKey = await newAccount('Revoking Inc');
      const created = await createKey(service.app, accountKey, 'to revoke by cli');
      const client = await open(other, created.key);
      const gone = disconnection(client);

      const run = await cli(['revoke', created.id]);
      const exitedAt = Date.now();
      expectExit(run, 0);
      // Through Redis before the CLI ended, not at the API processes' 10 s sweep.
      expect((await disconnectedWithin(gone, BROADCAST_MS)) - exitedAt).toBeLessThan(BROADCAST_MS);
      await request(service.app.url).get('/api/batch').set(auth(created.key)).expect(401);

      const again = await cli(['revoke', created.id]);
      expectExit(again, 3);
      expect(again.stderr).toContain('No active key has id');

      const [last] = await listKeys(service.app, accountKey);
      const lastRun = await cli(['revoke', last.id]);
      expectExit(lastRun, 5);
      expect(lastRun.stderr).toContain('LAST_KEY');
      await request(service.app.url).get('/api/batch').set(auth(accountKey)).expect(200);

      expectExit(await cli(['revoke', 'not-a-uuid']), 2);
      expectExit(await cli(['revoke', UNKNOWN_ID]), 3);
    });

    it('key:revoke while Redis is unreachable: the sweep closes the sockets within the same 2 s', async () => {
      const accountKey = await newAccount('Redis away');
      const created = await createKey(service.app, accountKey, 'revoked without redis');
      const client = await open(other, created.key);
      const gone = disconnection(client);

      // A closed port: the CLI revokes in PostgreSQL, then cannot publish the disconnection.
      const run = await runKeysCli(['revoke', created.id], {
        DATABASE_URL: service.databaseUrl,
        REDIS_PREFIX: redisPrefix,
        REDIS_URL: 'redis://127.0.0.1:1',
      });
      const exitedAt = Date.now();
      expectExit(run, 0);
      expect(run.stderr).toContain('Could not reach Redis');
      expect(run.stderr).toContain('within 2 s');
      expect((await disconnectedWithin(gone, 10_000)) - exitedAt).toBeLessThan(BROADCAST_MS);
    });
  });

  describe('BOOTSTRAP_API_KEY', () => {
    const url = scratchDatabaseUrl('revoked-bootstrap');
    const bootstrapKey = `salvo_bootstrap_${Date.now()}_0123456789`;
    afterAll(() => dropDatabase(url));

    it('once revoked, a restart warns and creates no account with it', async () => {
      const env = { DATABASE_URL: url, BOOTSTRAP_API_KEY: bootstrapKey };
      const first = await startApp(env);
      let ownId: string;
      try {
        const spare = await createKey(first, bootstrapKey, 'spare');
        const [own] = (await listKeys(first, bootstrapKey)).filter((k) => k.name === 'default');
        ownId = own.id;
        // Not of Salvo's form: listed by a fingerprint of its hash, none of its characters.
        expect(own.prefix).toBe(fingerprint(bootstrapKey));
        await revoke(first, spare.key, own.id).expect(204);
      } finally {
        await first.stop();
      }
      // As a row written before fingerprints showed it: the restart corrects it.
      await query(url, 'UPDATE api_keys SET display_prefix = left($2, 12) WHERE id = $1', [
        ownId,
        bootstrapKey,
      ]);
      const again = await startApp(env);
      try {
        await request(again.url).get('/api/batch').set(auth(bootstrapKey)).expect(401);
        expect(again.output()).toContain('BOOTSTRAP_API_KEY is a revoked key');
        const [accounts] = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM accounts');
        expect(Number(accounts.n)).toBe(1);
        const [row] = await query<{ display_prefix: string }>(
          url,
          'SELECT display_prefix FROM api_keys WHERE id = $1',
          [ownId],
        );
        expect(row.display_prefix).toBe(fingerprint(bootstrapKey));
      } finally {
        await again.stop();
      }
    });
  });

  describe('the KeyFingerprints migration', () => {
    const url = scratchDatabaseUrl('key-fingerprints');
    afterAll(() => dropDatabase(url));

    it('shows fingerprints for the existing keys not of Salvo form, and indexes active keys', async () => {
      const made = `salvo_${'A'.repeat(43)}`;
      const short = 'abcdefghijklmnop';
      const bootstrapLike = testEnv().bootstrapApiKey;
      const sha = (key: string) => createHash('sha256').update(key).digest('hex');
      // Migrated to the latest, then as before the migration: its record and index gone, rows
      // written with their first 12 characters.
      await (await startApp({ DATABASE_URL: url })).stop();
      await withDatabase(url, async (client) => {
        await client.query(
          `DELETE FROM migrations WHERE name = 'KeyFingerprints1764356400000';
           DROP INDEX api_keys_active_account_id_idx;
           UPDATE api_keys SET display_prefix = left('${bootstrapLike}', 12);`,
        );
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO accounts (name) VALUES ('Before fingerprints') RETURNING id`,
        );
        for (const [name, key] of [
          ['made', made],
          ['short', short],
        ]) {
          await client.query(
            `INSERT INTO api_keys (account_id, name, key_hash, display_prefix)
             VALUES ($1, $2, $3, left($4, 12))`,
            [rows[0].id, name, sha(key), key],
          );
        }
      });
      // Without BOOTSTRAP_API_KEY: only the migration corrects rows.
      await (await startApp({ DATABASE_URL: url, BOOTSTRAP_API_KEY: undefined })).stop();

      const prefixes = await query<{ name: string; account: string; display_prefix: string }>(
        url,
        `SELECT k.name, a.name AS account, k.display_prefix
           FROM api_keys k JOIN accounts a ON a.id = k.account_id ORDER BY k.name`,
      );
      expect(prefixes).toEqual([
        { name: 'default', account: 'bootstrap', display_prefix: fingerprint(bootstrapLike) },
        { name: 'made', account: 'Before fingerprints', display_prefix: made.slice(0, 12) },
        { name: 'short', account: 'Before fingerprints', display_prefix: fingerprint(short) },
      ]);
      const [index] = await query<{ indexdef: string }>(
        url,
        `SELECT indexdef FROM pg_indexes WHERE indexname = 'api_keys_active_account_id_idx'`,
      );
      expect(index.indexdef).toContain('WHERE (revoked_at IS NULL)');
    });
  });
});

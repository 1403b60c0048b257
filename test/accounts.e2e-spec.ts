import request from 'supertest';
import { createAccount, runUntilExit, startApp } from './support/app-process';
import { api, useApp } from './support/api';
import { dropDatabase, query } from './support/database';
import { scratchDatabaseUrl, testEnv } from './support/test-env';
import { batchBody } from './factories/batch.factory';

describe('accounts and API keys', () => {
  const service = useApp();

  it.each([
    ['no Authorization header', undefined, 'is missing'],
    ['a header that is not Bearer', 'Basic dXNlcjpwYXNz', 'must read "Bearer <api key>"'],
    ['an unknown key', 'Bearer salvo_not-a-real-key-at-all', 'holds an unknown API key'],
  ])('401 naming the Authorization header for %s', async (_name, header, problem) => {
    for (const call of [
      request(service.app.url).get('/api/batch'),
      request(service.app.url).post('/api/batch').send(batchBody()),
      request(service.app.url).post('/api/template/preview').send({ text: 'Hi' }),
    ]) {
      const response = await (header ? call.set('Authorization', header) : call);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toMatchObject({
        statusCode: 401,
        error: 'UNAUTHORIZED',
        details: [{ path: 'Authorization', message: problem }],
      });
    }
  });

  it('account:create prints a new key alone on its last line; keys are stored only as hashes', async () => {
    const { key, output } = await createAccount('Acme Marketing');
    expect(key).toMatch(/^salvo_[A-Za-z0-9_-]{43}$/);
    expect(output).toContain('Acme Marketing');
    await request(service.app.url)
      .get('/api/batch')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    const stored = await query<{ key_hash: string }>(
      testEnv().databaseUrl,
      'SELECT key_hash FROM api_keys',
    );
    expect(stored.some((row) => row.key_hash.includes(key) || key.includes(row.key_hash))).toBe(
      false,
    );
    expect(stored.every((row) => /^[0-9a-f]{64}$/.test(row.key_hash))).toBe(true);
  });

  it("answers another account's batch with 404, exactly like an unknown id, and lists only the caller's", async () => {
    const owner = api(service.app, testEnv().bootstrapApiKey);
    const { key } = await createAccount('Other');
    const other = api(service.app, key);
    const created = await owner.post('/api/batch', batchBody()).expect(201);

    const foreign = await other.get(`/api/batch/${created.body.id}`).expect(404);
    const unknown = await other.get('/api/batch/00000000-0000-4000-8000-000000000000').expect(404);
    expect(foreign.body).toEqual({
      ...unknown.body,
      message: unknown.body.message.replace(
        '00000000-0000-4000-8000-000000000000',
        created.body.id,
      ),
    });
    await other.get(`/api/batch/${created.body.id}/messages`).expect(404);
    expect((await other.get('/api/batch').expect(200)).body).toEqual({
      items: [],
      nextCursor: null,
    });
    const mine = await owner.get('/api/batch').expect(200);
    expect(mine.body.items.map((b: { id: string }) => b.id)).toContain(created.body.id);
  });

  describe('on an empty database', () => {
    const url = scratchDatabaseUrl('fresh');
    afterAll(() => dropDatabase(url));

    it('creates the database, migrates it and prints a default key once, outside the logger', async () => {
      const fresh = await startApp({ DATABASE_URL: url, BOOTSTRAP_API_KEY: undefined });
      let key: string;
      try {
        const lines = fresh.output().split('\n');
        const keyLines = lines.filter((line) => /salvo_[A-Za-z0-9_-]{43}/.test(line));
        expect(keyLines).toHaveLength(1);
        expect(keyLines[0]).not.toMatch(/\[Nest\]|LOG/);
        key = /salvo_[A-Za-z0-9_-]{43}/.exec(keyLines[0])![0];
        await request(fresh.url)
          .get('/api/batch')
          .set('Authorization', `Bearer ${key}`)
          .expect(200);
      } finally {
        await fresh.stop();
      }
      // A second start finds the account and shows no key.
      const again = await startApp({ DATABASE_URL: url, BOOTSTRAP_API_KEY: undefined });
      try {
        expect(again.output()).not.toMatch(/salvo_[A-Za-z0-9_-]{43}/);
        await request(again.url)
          .get('/api/batch')
          .set('Authorization', `Bearer ${key}`)
          .expect(200);
      } finally {
        await again.stop();
      }
    });

    it('several processes starting at once migrate once and create one bootstrap account', async () => {
      const shared = scratchDatabaseUrl('race');
      const env = { DATABASE_URL: shared, BOOTSTRAP_API_KEY: 'race-bootstrap-key-0123456789' };
      const apps = await Promise.all([startApp(env), startApp(env), startApp(env)]);
      try {
        const accounts = await query<{ n: string }>(shared, 'SELECT count(*) AS n FROM accounts');
        expect(Number(accounts[0].n)).toBe(1);
        for (const one of apps) {
          await request(one.url)
            .get('/api/batch')
            .set('Authorization', 'Bearer race-bootstrap-key-0123456789')
            .expect(200);
        }
      } finally {
        await Promise.all(apps.map((one) => one.stop()));
        await dropDatabase(shared);
      }
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['APP_ROLE', 'boss'],
    ['BOOTSTRAP_API_KEY', 'too-short'],
    ['MAX_RECIPIENTS_PER_REQUEST', '-1'],
    ['DEFAULT_COUNTRY', 'XX'],
    ['RATE_LIMIT_HIGH', 'fast'],
    ['DATABASE_URL', 'mysql://localhost/salvo'],
  ])('refuses to start when %s is %s, naming the variable', async (variable, value) => {
    const { code, output } = await runUntilExit({ [variable]: value });
    expect(code).not.toBe(0);
    expect(output).toContain(variable);
  });
});

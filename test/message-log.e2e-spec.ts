import { createAccount } from './support/app-process';
import { api, useApp } from './support/api';
import { dumpDatabase, query } from './support/database';
import { messageLog, waitForStatus } from './support/dispatch';
import { testEnv } from './support/test-env';
import { phoneNumber, recipients, scripted, TEMPLATE } from './factories/batch.factory';

describe('reading batches and their message logs', () => {
  const service = useApp();

  it('walks a long message log page by page without gaps or repeats, in recipient order', async () => {
    const list = recipients(1234);
    const created = await service.client
      .post('/api/batch', { text: TEMPLATE, recipients: list, options: { autoStart: false } })
      .expect(201);
    const seen: string[] = [];
    const ids = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const path: string = `/api/batch/${created.body.id}/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await service.client.get(path).expect(200);
      expect(page.body.items.length).toBeLessThanOrEqual(100);
      for (const item of page.body.items) {
        seen.push(item.phoneNumber);
        ids.add(item.id);
      }
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(13);
    expect(seen).toEqual(list.map((r) => r.phoneNumber));
    expect(ids.size).toBe(1234);
  });

  it('filters the log by status', async () => {
    const created = await service.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(5),
        options: { autoStart: false },
      })
      .expect(201);
    const pending = await service.client
      .get(`/api/batch/${created.body.id}/messages?status=pending`)
      .expect(200);
    expect(pending.body.items).toHaveLength(5);
    const sent = await service.client
      .get(`/api/batch/${created.body.id}/messages?status=sent`)
      .expect(200);
    expect(sent.body).toEqual({ items: [], nextCursor: null });
  });

  it("names the provider of each message's last call, accepted or refused, and none before a call", async () => {
    const body = { text: TEMPLATE, recipients: [...recipients(2), scripted(0)] };
    const unsent = await service.client
      .post('/api/batch', { ...body, options: { autoStart: false } })
      .expect(201);
    const sent = await service.client.post('/api/batch', body).expect(201);
    await waitForStatus(service.client, sent.body.id, ['completed']);

    const logged = await messageLog(service.client, sent.body.id);
    expect(logged.map(({ status, provider }) => ({ status, provider }))).toEqual([
      { status: 'sent', provider: 'simulated' },
      { status: 'sent', provider: 'simulated' },
      // Refused by the provider (an invalid number): the call still went to it.
      { status: 'failed', provider: 'simulated' },
    ]);
    const waiting = await messageLog(service.client, unsent.body.id);
    expect(waiting.map(({ status, provider }) => ({ status, provider }))).toEqual([
      { status: 'pending', provider: null },
      { status: 'pending', provider: null },
      { status: 'pending', provider: null },
    ]);
  });

  it('lists batches newest first, paginated, filterable by status', async () => {
    const { key } = await createAccount('Lister');
    const lister = api(service.app, key);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      const options = i % 2 ? { autoStart: false } : {};
      made.push(
        (
          await lister
            .post('/api/batch', {
              text: 'Hi',
              recipients: [{ phoneNumber: phoneNumber(i) }],
              options,
            })
            .expect(201)
        ).body.id,
      );
    }
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await lister
        .get(`/api/batch?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      walked.push(...page.body.items.map((b: { id: string }) => b.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(walked).toEqual([...made].reverse());

    const pending = await lister.get('/api/batch?status=pending').expect(200);
    expect(pending.body.items.map((b: { id: string }) => b.id)).toEqual(
      made.filter((_, i) => i % 2).reverse(),
    );
    expect(pending.body.items.every((b: { status: string }) => b.status === 'pending')).toBe(true);
  });

  it('stores a variable the template does not use nowhere in the database', async () => {
    const secret = `unused-secret-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const created = await service.client
      .post('/api/batch', {
        text: 'Hi {{name}}',
        recipients: [{ phoneNumber: phoneNumber(0), variables: { name: 'Ada', password: secret } }],
      })
      .expect(201);
    expect(created.body.warnings).toEqual([
      expect.objectContaining({ code: 'UNUSED_VARIABLE', variable: 'password' }),
    ]);
    const dump = dumpDatabase(testEnv().databaseUrl);
    expect(dump).toContain('Ada'); // the dump does hold the batch's data
    expect(dump).not.toContain(secret);
    const rows = await query(
      testEnv().databaseUrl,
      'SELECT variables FROM messages WHERE batch_id = $1',
      [created.body.id],
    );
    expect(rows).toEqual([{ variables: { name: 'Ada' } }]);
  });
});

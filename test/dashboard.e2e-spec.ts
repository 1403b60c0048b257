// The dashboard at `/`: served to people without a key, driven in a real browser (Debian's chromium).
import type { Browser, Locator, Page } from 'playwright-core';
import request from 'supertest';
import { api, useApp } from './support/api';
import { createAccount, startApp } from './support/app-process';
import { launchChromium, screenshot, seeText, seeVisible } from './support/browser';
import {
  batchStatus,
  FAST_DISPATCH,
  waitForStatus,
  type BatchStatusBody,
} from './support/dispatch';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { batchBody, recipients, scripted, TEMPLATE } from './factories/batch.factory';

describe('the dashboard page on a process that serves the API', () => {
  const service = useApp();

  it('serves the page, its script and its styles without an API key', async () => {
    const page = await request(service.app.url).get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.text).toContain('<title>Salvo · Batches</title>');
    expect(page.text).toContain('/socket.io/socket.io.js');

    const script = await request(service.app.url).get('/dashboard/dashboard.js').expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    const styles = await request(service.app.url).get('/dashboard/dashboard.css').expect(200);
    expect(styles.headers['content-type']).toMatch(/^text\/css/);
  });

  it('leaves the API key check, Swagger and the JSON 404 as they were', async () => {
    const unauthorized = await request(service.app.url).get('/api/batch').expect(401);
    expect(unauthorized.body).toMatchObject({ statusCode: 401, error: 'UNAUTHORIZED' });

    await request(service.app.url).get('/api/docs').expect(200);
    const openApi = await request(service.app.url).get('/api/docs-json').expect(200);
    // The page is not part of the API.
    expect(Object.keys(openApi.body.paths)).not.toContain('/');

    for (const path of ['/dashboard/secrets.txt', '/nothing-here', '/index.html']) {
      const missing = await request(service.app.url).get(path).expect(404);
      expect(missing.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
    }
  });
});

describe('a worker process', () => {
  it('serves no dashboard: / is the JSON 404', async () => {
    const worker = await startApp({ APP_ROLE: 'worker' });
    try {
      const response = await request(worker.url).get('/').expect(404);
      expect(response.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
    } finally {
      await worker.stop();
    }
  });
});

describe('the dashboard in a browser', () => {
  // Fast dispatch, except low priority: 2 a second leaves time to pause, resume and cancel.
  const service = useApp({ ...FAST_DISPATCH, RATE_LIMIT_LOW: '2' });
  const key = testEnv().bootstrapApiKey;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1180, height: 860 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(() => {
    // The page's script never throws, whatever the test did.
    expect(pageErrors).toEqual([]);
  });

  const card = (id: string): Locator => page.locator(`article[data-batch-id="${id}"]`);
  const count = (id: string, name: string): Locator => card(id).locator(`[data-count="${name}"]`);
  const delivery = (id: string, name: string): Locator =>
    card(id).locator(`[data-delivery="${name}"]`);
  const deliveryRate = (id: string): Locator => card(id).locator('[data-metric="deliveryRate"]');

  /** What the page keeps in local storage (a string: the tests compile without the DOM's types). */
  const storedKey = (page: Page): Promise<unknown> =>
    page.evaluate('localStorage.getItem("salvo.apiKey")');

  async function createBatch(body: Record<string, unknown>): Promise<string> {
    const created = await service.client.post('/api/batch', body).expect(201);
    return created.body.id as string;
  }

  it('asks for an API key, and says clearly when the key is refused', async () => {
    await page.goto(service.app.url);
    await seeVisible(page.locator('#key-panel'));
    await seeText(page.locator('#key-title'), 'Enter your API key');

    await page.fill('#key-input', 'salvo_this_key_does_not_exist_0000');
    await page.click('button[type=submit]');
    await seeText(page.locator('#key-error'), /^Salvo refused this API key\./);
    await seeVisible(page.locator('#key-panel'));
    await seeVisible(page.locator('#batches-panel'), false);
    // A refused key is not kept.
    expect(await storedKey(page)).toBeNull();
    await screenshot(page, '1-key-refused');
  });

  it('says so when only the live connection refuses the key', async () => {
    // The list read answers as if the key were good; the Socket.IO handshake alone refuses it.
    await page.route('**/api/batch', (route) =>
      route.fulfill({ status: 200, json: { items: [], nextCursor: null } }),
    );
    await page.fill('#key-input', 'salvo_this_key_does_not_exist_0001');
    await page.click('button[type=submit]');
    await seeText(
      page.locator('#key-error'),
      'Salvo refused this API key. The API key is not valid. Check it and enter it again.',
    );
    await seeVisible(page.locator('#key-panel'));
    expect(await storedKey(page)).toBeNull();
    await page.unroute('**/api/batch');
  });

  it('follows a new batch live to completed, with its counts and error categories', async () => {
    await page.fill('#key-input', key);
    await page.click('button[type=submit]');
    await seeVisible(page.locator('#key-panel'), false);
    await seeText(page.locator('#connection'), 'Live');
    expect(await storedKey(page)).toBe(key);

    // Created after the page subscribed: the page can only learn of it from live events.
    const id = await createBatch({
      text: 'Hi {{name}}, your code is {{code}} <b>&amp;</b>',
      recipients: [...recipients(8), scripted(0)],
      options: { priority: 'high' },
    });
    await seeText(card(id).locator('.status'), 'completed');
    await seeText(count(id, 'completed'), '8');
    await seeText(count(id, 'failed'), '1');
    await seeText(count(id, 'pending'), '0');
    await seeText(count(id, 'total'), '9');
    // The template is shown as text, markup and all.
    await seeText(
      card(id).locator('.batch-text'),
      'Hi {{name}}, your code is {{code}} <b>&amp;</b>',
    );
    expect(await card(id).locator('b').count()).toBe(0);

    const done = await batchStatus(service.client, id);
    await seeText(card(id).locator('[data-metric="successRate"]'), /%$/);
    expect(done.metrics.successRate).toBeCloseTo(8 / 9);
    await seeText(card(id).locator('[data-metric="successRate"]'), '88.89%');

    const row = card(id).locator('tr[data-category="invalid_number"] td');
    await waitFor('the invalid_number row with its counts', async () => {
      const cells = (await row.allTextContents()).map((t) => t.trim());
      return cells.join('|') === 'invalid number|1|1';
    });
    // A finished batch offers no actions.
    expect(await card(id).getByRole('button').count()).toBe(0);
    await screenshot(page, '2-completed');
  });

  it('follows what became of the accepted messages as their receipts arrive', async () => {
    // The simulator's receipts (README, "The simulated provider"): +12025550188 is undelivered as
    // unreachable, +12025550189 never gets a receipt, the others are delivered ~200 ms after
    // acceptance. Receipts come after the batch is completed: only live events can show them.
    const id = await createBatch({
      text: TEMPLATE,
      recipients: [
        ...recipients(5),
        { phoneNumber: '+12025550188', variables: { name: 'x', code: '1' } },
        { phoneNumber: '+12025550189', variables: { name: 'x', code: '1' } },
      ],
      options: { priority: 'high' },
    });
    await seeText(card(id).locator('.status'), 'completed');
    await seeText(delivery(id, 'delivered'), '5');
    await seeText(delivery(id, 'undelivered'), '1');
    await seeText(delivery(id, 'awaiting'), '1');
    await seeText(delivery(id, 'unknown'), '0');
    await seeText(deliveryRate(id), '83.33%');
    // The page shows what the API says.
    const done = (await batchStatus(service.client, id)) as BatchStatusBody & {
      delivery: Record<string, number>;
      metrics: { deliveryRate: number | null };
    };
    expect(done.delivery).toEqual({ delivered: 5, undelivered: 1, awaiting: 1, unknown: 0 });
    expect(done.metrics.deliveryRate).toBeCloseTo(5 / 6);
    // Why the message did not arrive is with the other errors.
    const row = card(id).locator('tr[data-category="unreachable"] td');
    await waitFor('the unreachable row', async () => {
      const cells = (await row.allTextContents()).map((t) => t.trim());
      return cells[0] === 'unreachable' && cells[cells.length - 1] === '1';
    });
    await screenshot(page, '2b-delivery');

    // No final receipt yet: no delivery rate (not 0%).
    const waiting = await createBatch({
      text: TEMPLATE,
      recipients: [{ phoneNumber: '+12025550189', variables: { name: 'x', code: '1' } }],
      options: { priority: 'high' },
    });
    await seeText(card(waiting).locator('.status'), 'completed');
    await seeText(delivery(waiting, 'awaiting'), '1');
    await seeText(delivery(waiting, 'delivered'), '0');
    await seeText(deliveryRate(waiting), '—');
  });

  it('renders delivery from any status payload, and an older one without it', async () => {
    const base = {
      status: 'completed',
      priority: 'normal',
      text: 'Injected',
      progress: { total: 10, pending: 0, completed: 10, failed: 0, cancelled: 0 },
      segments: 10,
      encodings: ['GSM-7'],
      scheduleTime: null,
      createdAt: '2020-01-01T00:00:00.000Z',
      startedAt: '2020-01-01T00:00:00.000Z',
      completedAt: '2020-01-01T00:00:10.000Z',
      pauseReason: null,
      failureReason: null,
    };
    const ids = [1, 2, 3, 4].map((n) => `00000000-0000-4000-8000-00000000000${n}`);
    const items = [
      {
        ...base,
        id: ids[0],
        delivery: { delivered: 7, undelivered: 2, awaiting: 0, unknown: 1 },
        metrics: { messagesPerSecond: 5, successRate: 1, deliveryRate: 7 / 9 },
      },
      {
        ...base,
        id: ids[1],
        delivery: { delivered: 0, undelivered: 0, awaiting: 10, unknown: 0 },
        metrics: { messagesPerSecond: 5, successRate: 1, deliveryRate: null },
      },
      // From a Salvo without receipts: no delivery, no deliveryRate.
      { ...base, id: ids[2], metrics: { messagesPerSecond: 5, successRate: 1 } },
      // Nothing accepted yet: nothing to say of delivery but its rate's dash.
      {
        ...base,
        id: ids[3],
        status: 'pending',
        progress: { total: 10, pending: 10, completed: 0, failed: 0, cancelled: 0 },
        delivery: { delivered: 0, undelivered: 0, awaiting: 0, unknown: 0 },
        metrics: { messagesPerSecond: 0, successRate: 0, deliveryRate: null },
      },
    ];
    await page.route('**/api/batch', (route) =>
      route.fulfill({ status: 200, json: { items, nextCursor: null } }),
    );
    await page.route('**/api/batch/*/errors?*', (route) =>
      route.fulfill({ status: 200, json: { summary: [], items: [], nextCursor: null } }),
    );
    try {
      await page.reload();
      await seeText(delivery(ids[0], 'delivered'), '7');
      await seeText(delivery(ids[0], 'undelivered'), '2');
      await seeText(delivery(ids[0], 'awaiting'), '0');
      await seeText(delivery(ids[0], 'unknown'), '1');
      await seeText(deliveryRate(ids[0]), '77.78%');

      await seeText(delivery(ids[1], 'awaiting'), '10');
      await seeText(deliveryRate(ids[1]), '—');

      await seeText(count(ids[2], 'completed'), '10');
      await seeVisible(card(ids[2]).locator('.delivery'), false);
      await seeVisible(deliveryRate(ids[2]), false);
      await seeText(card(ids[2]).locator('[data-metric="successRate"]'), '100%');

      await seeText(count(ids[3], 'pending'), '10');
      await seeVisible(card(ids[3]).locator('.delivery'), false);
      await seeText(deliveryRate(ids[3]), '—');
      await screenshot(page, '2c-delivery-injected');
    } finally {
      await page.unroute('**/api/batch');
      await page.unroute('**/api/batch/*/errors?*');
    }
  });

  it('keeps the key across a reload', async () => {
    await page.reload();
    await seeVisible(page.locator('#batches-panel'));
    await seeVisible(page.locator('#key-panel'), false);
    await seeText(page.locator('#connection'), 'Live');
    expect(await page.locator('article.batch').count()).toBeGreaterThan(0);
  });

  it('pauses, resumes and cancels a batch, showing each status as it happens', async () => {
    const id = await createBatch({
      text: TEMPLATE,
      recipients: recipients(60),
      options: { priority: 'low' },
    });
    const status = card(id).locator('.status');
    await seeText(status, 'processing');
    await waitFor(
      'some messages sent',
      async () => Number(await count(id, 'completed').textContent()) > 0,
    );

    await card(id).getByRole('button', { name: 'Pause' }).click();
    await seeText(status, 'paused');
    expect((await batchStatus(service.client, id)).status).toBe('paused');
    await seeVisible(card(id).getByRole('button', { name: 'Resume' }));
    await seeVisible(card(id).getByRole('button', { name: 'Pause' }), false);
    await seeText(card(id).locator('[data-metric="messagesPerSecond"]'), '0');

    await card(id).getByRole('button', { name: 'Resume' }).click();
    await seeText(status, 'processing');
    expect((await batchStatus(service.client, id)).status).toBe('processing');
    await waitFor('the rate to show', async () => {
      const mps = await card(id).locator('[data-metric="messagesPerSecond"]').textContent();
      return Number(mps) > 0;
    });
    await screenshot(page, '3-processing');

    // A change made elsewhere (here, through the API) shows without a reload.
    await service.client.post(`/api/batch/${id}/pause`).expect(200);
    await seeText(status, 'paused');
    await service.client.post(`/api/batch/${id}/resume`).expect(200);
    await seeText(status, 'processing');

    // While a request runs its buttons are disabled; a refusal shows the API's message.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/batch/*/cancel', async (route) => {
      await held;
      await route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({
          statusCode: 409,
          error: 'INVALID_TRANSITION',
          message:
            'The batch is completed; only pending, processing or paused batches can be cancelled.',
        }),
      });
    });
    await card(id).getByRole('button', { name: 'Cancel' }).click();
    await waitFor('the buttons to be disabled', () =>
      card(id).getByRole('button', { name: 'Pause' }).isDisabled(),
    );
    expect(await card(id).getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
    release();
    await seeText(
      card(id).locator('.action-error'),
      'Cancel failed: The batch is completed; only pending, processing or paused batches can be cancelled.',
    );
    expect(await card(id).getByRole('button', { name: 'Cancel' }).isEnabled()).toBe(true);
    await page.unroute('**/api/batch/*/cancel');

    await card(id).getByRole('button', { name: 'Cancel' }).click();
    await seeText(status, 'cancelled');
    const cancelled = await waitForStatus(service.client, id, ['cancelled']);
    await seeText(count(id, 'cancelled'), String(cancelled.progress.cancelled));
    await seeText(count(id, 'completed'), String(cancelled.progress.completed));
    expect(cancelled.progress.cancelled).toBeGreaterThan(0);
    await seeVisible(card(id).getByRole('button', { name: 'Cancel' }), false);
    await screenshot(page, '4-cancelled');
  }, 120_000);

  it("shows another account's batches for its key, 50 at first and older ones on request", async () => {
    const other = await createAccount('Dashboard paging');
    const client = api(service.app, other.key);
    const ids: string[] = [];
    for (let i = 0; i < 52; i++) {
      const created = await client
        .post('/api/batch', { ...batchBody({}, 1), options: { autoStart: false } })
        .expect(201);
      ids.push(created.body.id as string);
    }
    await page.click('#forget');
    await page.fill('#key-input', other.key);
    await page.click('button[type=submit]');
    await waitFor(
      'the first page',
      async () => (await page.locator('article.batch').count()) === 50,
    );
    // Newest first, as the API lists them; the first account's batches are not shown.
    expect(await page.locator('article.batch').first().getAttribute('data-batch-id')).toBe(ids[51]);
    await page.getByRole('button', { name: 'Load older batches' }).click();
    await waitFor('all 52', async () => (await page.locator('article.batch').count()) === 52);
    expect(await page.locator('article.batch').last().getAttribute('data-batch-id')).toBe(ids[0]);
    await seeVisible(page.getByRole('button', { name: 'Load older batches' }), false);
  });

  it('forgets the key when asked', async () => {
    await page.click('#forget');
    await seeVisible(page.locator('#key-panel'));
    await seeVisible(page.locator('#batches-panel'), false);
    expect(await storedKey(page)).toBeNull();
    await page.reload();
    await seeVisible(page.locator('#key-panel'));
    await seeVisible(page.locator('#key-error'), false);
  });
});

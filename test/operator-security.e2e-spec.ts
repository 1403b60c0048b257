// What an operator exposes by publishing the port: /metrics behind METRICS_TOKEN, Bull Board
// read-only and same-origin, helmet's headers everywhere (pages still working in a browser),
// failed logins logged with the client address, and no credential or number in request lines.
import type { Browser, ConsoleMessage } from 'playwright-core';
import { io } from 'socket.io-client';
import request from 'supertest';
import { useApp } from './support/api';
import { logLines, runUntilExit, type LogLine } from './support/app-process';
import { launchChromium, screenshot, seeText, seeVisible } from './support/browser';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';

const ADMIN_PASSWORD = 'operator password for e2e';
const METRICS_TOKEN = 'metrics-token-for-e2e-0123456789';
const ADD_JOB = '/admin/queues/api/queues/dispatch-high/add';

const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

describe('a served process with its operator settings', () => {
  const service = useApp({ ADMIN_PASSWORD, METRICS_TOKEN, TRUST_PROXY: '1' });
  const key = testEnv().bootstrapApiKey;

  const jsonLines = (): LogLine[] => logLines(service.app);

  describe('/metrics with METRICS_TOKEN', () => {
    it.each<[string, string | undefined]>([
      ['no Authorization header', undefined],
      ['a wrong token', `Bearer ${METRICS_TOKEN}x`],
      ['an API key', `Bearer ${testEnv().bootstrapApiKey}`],
      ['the token in basic auth', basic(METRICS_TOKEN)],
    ])('answers 401 with the error body to %s', async (_case, authorization) => {
      const call = request(service.app.url).get('/metrics');
      if (authorization) call.set('Authorization', authorization);
      const response = await call.expect(401);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'UNAUTHORIZED' });
      expect(response.text).not.toContain('salvo_messages_sent_total');
    });

    it('answers the metrics to the token', async () => {
      const response = await request(service.app.url)
        .get('/metrics')
        .set('Authorization', `Bearer ${METRICS_TOKEN}`)
        .expect(200);
      expect(response.text).toMatch(/^salvo_batches\{status="pending"\} \d+$/m);
    });
  });

  describe('Bull Board', () => {
    const board = () => request(service.app.url);
    const auth = basic(ADMIN_PASSWORD);
    const waitingJobs = async (): Promise<number> => {
      const queues = await board().get('/admin/queues/api/queues').set('Authorization', auth);
      const high = (queues.body.queues as { name: string; counts: { waiting: number } }[]).find(
        (queue) => queue.name === 'dispatch-high',
      );
      return high!.counts.waiting;
    };

    it('is read-only in bull-board itself: every queue is in readOnlyMode', async () => {
      const queues = await board().get('/admin/queues/api/queues').set('Authorization', auth);
      expect(queues.status).toBe(200);
      const modes = (queues.body.queues as { readOnlyMode: boolean }[]).map((q) => q.readOnlyMode);
      expect(modes).toEqual([true, true, true]);
    });

    it.each<[string, Record<string, string>, RegExp]>([
      [
        "a cross-site text/plain POST with the operator's credentials",
        { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
        /own pages/,
      ],
      ['a POST without Origin', { 'Content-Type': 'application/json' }, /own pages/],
      ['a POST from an opaque origin', { Origin: 'null' }, /own pages/],
      ['a same-origin POST while the board is read-only', { Origin: 'SELF' }, /read-only/],
    ])('refuses %s, and queues nothing', async (_case, headers, message) => {
      const before = await waitingJobs();
      const call = board().post(ADD_JOB).set('Authorization', auth);
      for (const [name, value] of Object.entries(headers)) {
        call.set(name, value === 'SELF' ? service.app.url : value);
      }
      const response = await call.send('{"name":"x","data":{}}').expect(403);
      expect(response.body).toMatchObject({ statusCode: 403, error: 'FORBIDDEN' });
      expect(response.body.message).toMatch(message);
      expect(await waitingJobs()).toBe(before);
    });

    it('cannot be framed', async () => {
      const page = await board().get('/admin/queues').set('Authorization', auth).expect(200);
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      // bull-board's own Express app would add it after helmet removed it.
      expect(page.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('response headers', () => {
    it.each<[string, number]>([
      ['/health', 200],
      ['/api/batch', 401],
      ['/nothing-here', 404],
      ['/api/docs', 200],
      ['/metrics', 401],
      ['/admin/queues', 401],
      ['/', 200],
    ])('%s carries helmet headers and no X-Powered-By', async (path, status) => {
      const response = await request(service.app.url).get(path).expect(status);
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    });

    it('keeps the dashboard on its own stricter policy', async () => {
      const page = await request(service.app.url).get('/').expect(200);
      expect(page.headers['content-security-policy']).toBe(
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; " +
          "form-action 'none'; frame-ancestors 'none'",
      );
    });
  });

  describe('logs', () => {
    it('log each failed authentication once, with the client address TRUST_PROXY=1 gives', async () => {
      const from = (last: string) => ({ 'X-Forwarded-For': `6.6.6.6, ${last}` });
      await request(service.app.url).get('/api/batch').set(from('203.0.113.1')).expect(401);
      await request(service.app.url)
        .get('/admin/queues')
        .set(from('203.0.113.2'))
        .set('Authorization', basic('wrong password, long'))
        .expect(401);
      await request(service.app.url).get('/metrics').set(from('203.0.113.3')).expect(401);
      const socket = io(`${service.app.url}/batches`, {
        auth: { token: 'salvo_not_a_key' },
        transports: ['websocket'],
        extraHeaders: from('203.0.113.4'),
        reconnection: false,
        forceNew: true,
      });
      await new Promise<void>((resolve) => socket.once('connect_error', () => resolve()));
      socket.close();

      const failures = await waitFor('four failed authentications in the log', async () => {
        const lines = jsonLines().filter(
          (line) =>
            line.msg === 'Authentication failed' &&
            String(line.clientAddress).startsWith('203.0.113.'),
        );
        return Promise.resolve(lines.length >= 4 ? lines : undefined);
      });
      expect(failures.map((line) => [line.level, line.surface, line.clientAddress]).sort()).toEqual(
        [
          ['warn', 'api', '203.0.113.1'],
          ['warn', 'metrics', '203.0.113.3'],
          ['warn', 'queue-board', '203.0.113.2'],
          ['warn', 'socket.io', '203.0.113.4'],
        ],
      );
      // The address a client chose is never believed past the one trusted proxy.
      expect(service.app.output()).not.toContain('"clientAddress":"6.6.6.6"');
    });

    it('hide credential-named query values and numbers however they are written', async () => {
      const secrets = ['plain-api-key-value', 'a-token-value', '202-555-0199', '2025550188'];
      await request(service.app.url)
        .get('/api/batch?api_key=plain-api-key-value&to=%2B1-202-555-0199')
        .set('Authorization', `Bearer ${key}`);
      await request(service.app.url).get('/health?access_token=a-token-value&to=0012025550188');
      const masked = (line: LogLine) =>
        String((line.req as LogLine | undefined)?.url).includes('*');
      await waitFor('both request lines', () =>
        Promise.resolve(jsonLines().filter(masked).length >= 2),
      );
      const output = service.app.output();
      for (const secret of secrets) expect(output).not.toContain(secret);
      expect(output).toContain('/health?access_token=***&to=001********88');
    });
  });

  describe('in a browser, under these headers', () => {
    let browser: Browser;
    const problems: string[] = [];
    const watch = (message: ConsoleMessage) => {
      if (message.type() === 'error') problems.push(message.text());
    };

    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    it('Swagger UI renders its operations, and the dashboard goes live, with no CSP violation', async () => {
      const page = await browser.newPage();
      page.on('console', watch);
      page.on('pageerror', (error) => problems.push(error.message));

      await page.goto(`${service.app.url}/api/docs`);
      await waitFor(
        'Swagger UI to list the operations',
        async () => (await page.locator('.opblock').count()) > 10,
      );
      await seeVisible(page.locator('.opblock-summary-path', { hasText: '/api/batch' }).first());
      await screenshot(page, 'security-swagger-ui');

      await page.goto(service.app.url);
      await page.fill('#key-input', key);
      await page.click('button[type=submit]');
      await seeVisible(page.locator('#key-panel'), false);
      await seeText(page.locator('#connection'), 'Live');
      await screenshot(page, 'security-dashboard');

      expect(problems).toEqual([]);
    });
  });
});

describe('secrets at boot', () => {
  // ADMIN_PASSWORD's minimum and METRICS_TOKEN's are checked the same way (configuration.spec.ts).
  it('refuses the bootstrap key docker-compose.yml used to ship, naming the variable', async () => {
    const { code, output } = await runUntilExit({
      BOOTSTRAP_API_KEY: 'change-me-bootstrap-api-key',
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/BOOTSTRAP_API_KEY is an example printed in the documentation/);
  });
});

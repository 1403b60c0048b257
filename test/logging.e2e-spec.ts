// The service's own output, read as an operator would: JSON lines with request ids, and no phone
// number, API key or message text in them.
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { useApp } from './support/api';
import { logLines, runUntilExit, type LogLine } from './support/app-process';
import { FAST_DISPATCH, messageLog, waitForStatus } from './support/dispatch';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients } from './factories/batch.factory';

// Words no log line has any reason to hold, unless a message text was logged.
const TEXT = 'Quokkafrost {{name}}, your zebracorn code is {{code}}';
const SCRIPTED = ['+12025550190', '+12025550192']; // invalid_number; transient twice, then sent
// Keys in Salvo's format are masked by the logger; one in another format shows whether a header
// was logged at all.
const WRONG_KEYS = [
  `salvo_${randomBytes(32).toString('base64url')}`,
  `wrong-${randomBytes(8).toString('hex')}`,
];

describe('logs', () => {
  const service = useApp(FAST_DISPATCH);
  const numbers = [...recipients(3).map((r) => r.phoneNumber), ...SCRIPTED];
  const requestId = `logging-e2e.${randomBytes(4).toString('hex')}`;
  let batchId: string;

  const jsonLines = (): LogLine[] => logLines(service.app);
  /** The request's log line; written once the answer is sent, so it may trail the answer a little. */
  const requestLine = (id: string): Promise<LogLine> =>
    waitFor(`the request line of ${id}`, () =>
      Promise.resolve(jsonLines().find((line) => line.requestId === id && line.res)),
    );

  beforeAll(async () => {
    const created = await request(service.app.url)
      .post('/api/batch')
      .set('Authorization', `Bearer ${testEnv().bootstrapApiKey}`)
      .set('X-Request-Id', requestId)
      .send({
        text: TEXT,
        recipients: numbers.map((phoneNumber, i) => ({
          phoneNumber,
          variables: { name: `Ada${i}`, code: `C0DE${i}` },
        })),
      })
      .expect(201);
    expect(created.headers['x-request-id']).toBe(requestId);
    batchId = created.body.id as string;
    await waitForStatus(service.client, batchId, ['completed']);
    const log = await messageLog(service.client, batchId);
    // The scripted numbers did go through the provider, and a retry, before we read the output.
    expect(log.map((m) => [m.phoneNumber, m.status, m.attempts])).toEqual(
      expect.arrayContaining([
        ['+12025550190', 'failed', 1],
        ['+12025550192', 'sent', 3],
      ]),
    );
  });

  it('are JSON lines with level, time and msg, the start-up line included', () => {
    const lines = jsonLines();
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(line).toEqual(
        expect.objectContaining({
          level: expect.any(String),
          time: expect.any(Number),
          msg: expect.any(String),
        }),
      );
    }
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        context: 'Bootstrap',
        msg: expect.stringMatching(/^Salvo \(all\) listening on port \d+/),
      }),
    );
  });

  it("log a request under the caller's X-Request-Id, with method, url, status and time only", async () => {
    expect(await requestLine(requestId)).toEqual({
      level: 'info',
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      requestId,
      req: { id: requestId, method: 'POST', url: '/api/batch' },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
  });

  it.each([
    ['no X-Request-Id', undefined],
    ['an X-Request-Id that could break a log line', 'a"b\\c'],
    ['an X-Request-Id over 128 characters', 'x'.repeat(129)],
  ])('make up a UUID for %s, answer it and log it', async (_case, header) => {
    const call = request(service.app.url).get('/health');
    const response = await (header === undefined ? call : call.set('X-Request-Id', header));
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await requestLine(id)).toMatchObject({ req: { id, url: '/health' } });
  });

  it('log a refused key as a 401 warning without the key', async () => {
    for (const [i, key] of WRONG_KEYS.entries()) {
      const id = `logging-e2e-401-${i}`;
      const response = await request(service.app.url)
        .get('/api/batch')
        .set('Authorization', `Bearer ${key}`)
        .set('X-Request-Id', id)
        .expect(401);
      expect(response.headers['x-request-id']).toBe(id);
      expect(await requestLine(id)).toMatchObject({ level: 'warn', res: { statusCode: 401 } });
    }
  });

  it('mask numbers and keys wherever they appear, here in a logged URL', async () => {
    const id = 'logging-e2e-url';
    // `ref` is not named like a credential: the key is masked by its shape; `key` hides any value.
    const url = `/health?to=${encodeURIComponent(numbers[0])}&also=${SCRIPTED[0]}&ref=${WRONG_KEYS[0]}&key=${WRONG_KEYS[1]}`;
    await request(service.app.url).get(url).set('X-Request-Id', id);
    const line = await requestLine(id);
    expect((line.req as { url: string }).url).toBe(
      `/health?to=%2B1********00&also=+1********90&ref=salvo_***&key=***`,
    );
  });

  it('hold no phone number of the batch, no API key and no message text', () => {
    const output = service.app.output();
    const secrets = [
      ...numbers,
      ...numbers.map((n) => n.slice(1)), // the digits alone
      testEnv().bootstrapApiKey,
      ...WRONG_KEYS,
      'Quokkafrost',
      'zebracorn',
      'C0DE',
    ];
    expect(secrets.filter((secret) => output.includes(secret))).toEqual([]);
  });

  it('refuse to start with an unknown LOG_LEVEL, naming it', async () => {
    const { code, output } = await runUntilExit({ LOG_LEVEL: 'loud' });
    expect(code).not.toBe(0);
    expect(output).toContain('LOG_LEVEL');
  });
});

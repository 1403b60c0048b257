// Request bodies: nothing read before the route is known and the caller authenticated, each route
// with its own limit, large bodies a few at a time, and pathological JSON refused before it can
// stall the process.
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import type { RunningApp } from './support/app-process';
import { useApp } from './support/api';
import { testEnv } from './support/test-env';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: { error?: string; message?: string; details?: { path: string; message: string }[] };
}

/**
 * Sends `headers`, then `body` (or only its first `sendBytes` bytes, keeping the request open);
 * resolves with the answer as soon as it arrives, whether or not the body was all sent.
 */
interface Sending {
  headers?: Record<string, string>;
  body?: Buffer;
  /** Bytes of the body sent at once; `finish` sends the rest. */
  sendBytes?: number;
}

function send(
  app: RunningApp,
  method: string,
  path: string,
  sending: Sending = {},
): {
  answer: Promise<Answer>;
  finish: () => void;
  abort: () => void;
  closed: Promise<void>;
  /** Errors of the request after the answer: a reset while the body was still being sent. */
  writeErrors: string[];
} {
  const { headers = {}, body = Buffer.alloc(0) } = sending;
  const sendBytes = sending.sendBytes ?? body.length;
  const writeErrors: string[] = [];
  const url = new URL(path, app.url);
  const req = httpRequest(url, {
    method,
    headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers },
    // A connection of its own, as a client without keep-alive (curl, most scripts) has.
    agent: false,
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: text ? JSON.parse(text) : {},
        }),
      );
    });
    // After its answer, the service may close the connection while the rest of the body is
    // still on its way; before it, a reset means the answer was lost.
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (error: NodeJS.ErrnoException) => {
      writeErrors.push(error.code ?? error.message);
      if (!answered || (error.code !== 'EPIPE' && error.code !== 'ECONNRESET')) reject(error);
    });
  });
  req.write(body.subarray(0, sendBytes));
  const closed = new Promise<void>((resolve) =>
    req.on('socket', (socket) => socket.once('close', () => resolve())),
  );
  return {
    closed,
    writeErrors,
    answer,
    finish: () => req.end(body.subarray(sendBytes)),
    abort: () => req.destroy(),
  };
}

/** A 12.8 MB JSON array of objects with 100 keys each, no key used twice: the reported attack. */
function pathologicalBody(): Buffer {
  const objects: string[] = [];
  let key = 0;
  let size = 0;
  while (size < 12.8e6) {
    const fields: string[] = [];
    for (let i = 0; i < 100; i++) fields.push(`"k${(key++).toString(36)}":1`);
    const object = `{${fields.join(',')}}`;
    objects.push(object);
    size += object.length + 1;
  }
  return Buffer.from(`[${objects.join(',')}]`);
}

/** Probes /health every 20 ms while `work` runs; returns the latencies. */
async function healthLatencies(app: RunningApp, work: () => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let running = true;
  const probe = (async () => {
    while (running) {
      const started = performance.now();
      const res = await fetch(`${app.url}/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await probe;
  }
  return latencies;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Resident and peak resident memory of the service's process, in MB. */
function memoryMb(app: RunningApp): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${app.process.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

describe('Request bodies', () => {
  const context = useApp({ MAX_CONCURRENT_LARGE_BODIES: '1', LARGE_BODY_WAIT_MS: '1000' });
  const auth = () => ({ authorization: `Bearer ${testEnv().bootstrapApiKey}` });
  const attack = pathologicalBody();

  it.each([
    ['POST', '/api/batch', 401, 'UNAUTHORIZED'],
    ['POST', '/health', 404, 'NOT_FOUND'],
  ])(
    'answers %s %s without a key before reading any of its body (%i)',
    async (method, path, status, error) => {
      // Headers only: the 12.8 MB the request announces never leave the client.
      const { answer, closed } = send(context.app, method, path, { body: attack, sendBytes: 0 });
      const answered = await answer;
      expect(answered).toMatchObject({ status, body: { error } });
      // The rest is not waited for long: the connection closes soon after the answer.
      const started = Date.now();
      await closed;
      expect(Date.now() - started).toBeLessThan(5_000);
    },
  );

  it.each([
    ['without a key', '/api/batch', {}, 401, false],
    ['with a key', '/api/batch', undefined, 201, true],
    // Outside the API (Bull Board, Socket.IO polling) bodies are read by others: invited at once.
    ['outside the API', '/not-the-api', {}, 404, true],
  ])(
    'invites a body announced with Expect: 100-continue only once the caller is authenticated (%s)',
    async (_, path, headers, status, invited) => {
      const body = JSON.stringify({
        text: 'Hi',
        recipients: [{ phoneNumber: '+12025550100' }],
        options: { autoStart: false },
      });
      const req = httpRequest(new URL(path, context.app.url), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          expect: '100-continue',
          ...(headers ?? auth()),
        },
        agent: false,
      });
      let continued = false;
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      const answered = await new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      req.destroy();
      expect({ continued, answered }).toEqual({ continued: invited, answered: status });
    },
  );

  it('keeps /health quick while 12.8 MB of junk arrives without a key', async () => {
    const before = memoryMb(context.app);
    const latencies = await healthLatencies(context.app, async () => {
      for (const path of ['/api/batch', '/health', '/api/batch']) {
        const { answer, finish } = send(context.app, 'POST', path, { body: attack, sendBytes: 0 });
        finish();
        expect((await answer).status).toBeGreaterThanOrEqual(400);
      }
    });
    expect(percentile(latencies, 99)).toBeLessThanOrEqual(200);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(1_000);
    expect(memoryMb(context.app).peak - before.rss).toBeLessThan(200);
  });

  it('refuses the same body with a valid key without stalling the process or its memory', async () => {
    const before = memoryMb(context.app);
    let refused: Answer | undefined;
    const latencies = await healthLatencies(context.app, async () => {
      const { answer, finish } = send(context.app, 'POST', '/api/batch', {
        headers: auth(),
        body: attack,
        sendBytes: 0,
      });
      finish();
      refused = await answer;
    });
    expect(refused).toMatchObject({
      status: 400,
      body: {
        error: 'VALIDATION_FAILED',
        details: [{ path: expect.stringMatching(/^\[\d+\]\.k[0-9a-z]+$/) as string }],
      },
    });
    expect(refused!.body.details![0].message).toContain('distinct sequences of keys');
    expect(Math.max(...latencies)).toBeLessThanOrEqual(1_000);
    expect(memoryMb(context.app).peak - before.rss).toBeLessThan(1_024);
  });

  it('refuses 8 million short strings as recipients early, before JSON.parse could take seconds', async () => {
    const strings = Array.from({ length: 8_000_000 }, (_, i) => `"${i % 1000}"`).join(',');
    const body = Buffer.from(`{"text":"Hi","recipients":[${strings}]}`);
    const latencies = await healthLatencies(context.app, async () => {
      const { answer, finish } = send(context.app, 'POST', '/api/batch', { headers: auth(), body });
      finish();
      const answered = await answer;
      expect(answered).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
      expect(answered.body.message).toContain('more than 200064 array elements');
    });
    expect(Math.max(...latencies)).toBeLessThanOrEqual(1_000);
  });

  it('leaves the body of a GET unread: junk there does not change the answer', async () => {
    const { answer, finish } = send(context.app, 'GET', '/health', { body: Buffer.from('{nope') });
    finish();
    await expect(answer).resolves.toMatchObject({ status: 200 });
  });

  it('refuses the attack wrapped as recipients too, naming the recipient', async () => {
    const inner = attack.subarray(1, attack.length - 1).toString();
    const body = Buffer.from(`{"text":"Hi","recipients":[${inner}]}`);
    const { answer, finish } = send(context.app, 'POST', '/api/batch', { headers: auth(), body });
    finish();
    await expect(answer).resolves.toMatchObject({
      status: 400,
      body: { details: [{ path: expect.stringMatching(/^recipients\[\d+\]\.k/) as string }] },
    });
  });

  it.each([
    ['/api/template/preview', 1024 * 1024, '1 MB'],
    ['/api/batch/:id/retry-failed', 16 * 1024, '16 kB'],
    ['/api/batch/:id/start', 16 * 1024, '16 kB'],
  ])('gives %s a body limit of its own: one byte over is a 413', async (path, limit, said) => {
    const body = (size: number) => Buffer.from(`{"text":"${'a'.repeat(size - 11)}"}`);
    const post = async (size: number) => {
      const { answer, finish } = send(
        context.app,
        'POST',
        path.replace(':id', crypto.randomUUID()),
        {
          headers: auth(),
          body: body(size),
        },
      );
      finish();
      return answer;
    };
    // At the limit the body is read (and refused for what it says, not for its size).
    expect((await post(limit)).status).not.toBe(413);
    const over = await post(limit + 1);
    expect(over).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(over.body.message).toContain(said);
  });

  it('lets a client without keep-alive, sending a refused body at once, read its answer', async () => {
    // Answered from its Content-Length while the 4 MB are on their way. Node closes a
    // `Connection: close` connection as soon as the answer is written, and a close under a client
    // still sending resets the connection, destroying the 413 before it is read (149 times in
    // 150 here); the rest is read and dropped for a while instead.
    const body = Buffer.alloc(4_600_000, 'x');
    const { port } = new URL(context.app.url);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      outcomes.push(
        await new Promise<string>((resolve) => {
          const req = httpRequest({
            port,
            method: 'POST',
            path: '/api/template/preview',
            headers: {
              ...auth(),
              'content-type': 'application/json',
              'content-length': body.length,
            },
            agent: new Agent({ keepAlive: false }),
          });
          req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          req.on('response', (res) => {
            res.resume();
            res.on('end', () => resolve(String(res.statusCode)));
          });
          req.end(body);
        }),
      );
    }
    expect(outcomes).toEqual(Array(20).fill('413'));
  });

  it('refuses a batch body announced over MAX_BODY_MB without waiting for it', async () => {
    const { answer, closed } = send(context.app, 'POST', '/api/batch', {
      headers: { ...auth(), 'content-length': String(65 * 1024 * 1024) },
      sendBytes: 0,
    });
    const answered = await answer;
    expect(answered).toMatchObject({ status: 413, body: { error: 'PAYLOAD_TOO_LARGE' } });
    expect(answered.body.message).toContain('64 MB (MAX_BODY_MB)');
    // The 65 MB are not waited for: the connection closes soon after the answer.
    const started = Date.now();
    await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reads one large body at a time here (MAX_CONCURRENT_LARGE_BODIES=1); the next waits, then gets 503', async () => {
    const recipients = Array.from({ length: 30_000 }, (_, i) => ({
      phoneNumber: `+1202555${String(i % 10_000).padStart(4, '0')}`,
      variables: { name: `Recipient number ${i}` },
    }));
    const large = Buffer.from(
      JSON.stringify({ text: 'Hi {{name}}', recipients, options: { autoStart: false } }),
    );
    expect(large.length).toBeGreaterThan(1024 * 1024);
    const first = send(context.app, 'POST', '/api/batch', {
      headers: auth(),
      body: large,
      sendBytes: 1000,
    });
    // Let the first take the only slot before the second asks.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = send(context.app, 'POST', '/api/batch', { headers: auth(), body: large });
    second.finish();
    const waited = await second.answer;
    expect(waited).toMatchObject({ status: 503, body: { error: 'SERVICE_UNAVAILABLE' } });
    expect(waited.headers['retry-after']).toBe('1');
    first.finish();
    expect((await first.answer).status).toBe(201);
    // With the slot free again, a large body goes straight through.
    const third = send(context.app, 'POST', '/api/batch', { headers: auth(), body: large });
    third.finish();
    expect((await third.answer).status).toBe(201);
  });

  it.each([
    [
      'nesting past 32 levels',
      `{"text":"Hi","recipients":${'['.repeat(40)}${']'.repeat(40)}}`,
      400,
      'nests deeper than 32 levels',
    ],
    ['a body that is not JSON', '{"text": nope', 400, 'is not a valid JSON object or array'],
    ['a JSON string', '"just a string"', 400, 'is not a valid JSON object or array'],
  ])('answers %s with a 400 naming the problem', async (_, text, status, message) => {
    const { answer, finish } = send(context.app, 'POST', '/api/batch', {
      headers: auth(),
      body: Buffer.from(text),
    });
    finish();
    const answered = await answer;
    expect(answered.status).toBe(status);
    expect(answered.body.details?.[0].message).toBe(message);
  });

  it('reads a gzip-compressed body', async () => {
    const { gzipSync } = await import('node:zlib');
    const body = gzipSync(
      JSON.stringify({
        text: 'Hi',
        recipients: [{ phoneNumber: '+12025550100' }],
        options: { autoStart: false },
      }),
    );
    const { answer, finish } = send(context.app, 'POST', '/api/batch', {
      headers: { ...auth(), 'content-encoding': 'gzip' },
      body,
    });
    finish();
    expect((await answer).status).toBe(201);
  });
});

// The reader on a real HTTP server and client over loopback, without Nest: slots given back
// whatever the client does, limits, parsing.
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IngestConfig } from '../config/configuration';
import { DomainError } from '../errors/domain-error';
import { bodyLimits } from './body-limits';
import { RequestBodyReader } from './request-body.reader';

const MB = 1024 * 1024;
const ingest = {
  maxConcurrentLargeBodies: 1,
  largeBodyWaitMs: 300,
  bodyIdleTimeoutMs: 1_500,
  largeBodyMinKbps: 1024,
  maxBodyMb: 4,
  maxRecipientsPerRequest: 1000,
};

describe('RequestBodyReader', () => {
  let server: Server;
  let port: number;
  let reader: RequestBodyReader;

  beforeEach(async () => {
    reader = new RequestBodyReader(ingest as IngestConfig);
    server = createServer((req, res) => {
      reader.read(req, res, bodyLimits('batch', ingest)).then(
        (body) => res.end(JSON.stringify({ status: 200, body: body ?? null })),
        (error: DomainError) => res.end(JSON.stringify({ status: 0, code: error.code })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Announces `length` bytes, sends `sent` of them; `end()` sends the rest. */
  function post(length: number, sent: number, headers: Record<string, string> = {}) {
    // One long string: large in bytes, small in elements.
    const body = Buffer.from(length < 4 ? '[1]'.slice(0, length) : `["${'x'.repeat(length - 4)}"]`);
    const req = request({
      port,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': length, ...headers },
    });
    req.on('error', () => undefined);
    const answer = new Promise<{ status: number; code?: string; body?: unknown }>((resolve) =>
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      }),
    );
    req.write(body.subarray(0, sent));
    let offset = sent;
    return {
      answer,
      end: () => req.end(body.subarray(offset)),
      abort: () => req.destroy(),
      /** Sends the next `bytes` of the body. */
      write: (bytes: number) => {
        req.write(body.subarray(offset, offset + bytes));
        offset += bytes;
      },
    };
  }

  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * The answer to a whole large body, sent again while it is refused for want of a slot, for up to
   * 10 s: a slot given back is found however loaded the machine is, one kept never is.
   */
  async function nextLargeBody(): Promise<{ status: number; code?: string }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const next = post(2 * MB, 0);
      next.end();
      const answer = await next.answer;
      if (answer.code !== 'SERVICE_UNAVAILABLE' || Date.now() > deadline) return answer;
      await settle(100);
    }
  }

  it('makes a second large body wait for the first, and refuses it after the wait', async () => {
    const first = post(2 * MB, 100);
    await settle(50);
    const second = post(2 * MB, 2 * MB);
    second.end();
    await expect(second.answer).resolves.toEqual({ status: 0, code: 'SERVICE_UNAVAILABLE' });
    first.end();
    await expect(first.answer).resolves.toMatchObject({ status: 200 });
  });

  it('gives the slot back when a client holding it or waiting for it goes away', async () => {
    const holder = post(2 * MB, 100);
    await settle(50);
    const waiter = post(2 * MB, 100);
    await settle(50);
    waiter.abort();
    holder.abort();
    await settle(100);
    await expect(nextLargeBody()).resolves.toMatchObject({ status: 200 });
  });

  it('gives the slot back when a client leaves after sending all of a compressed body', async () => {
    const { gzipSync } = await import('node:zlib');
    // Random base64 barely compresses: well over 1 MB on the wire, more inflated.
    const gzipped = gzipSync(`["${randomBytes(2 * MB).toString('base64')}"]`);
    const req = request({
      port,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': gzipped.length,
      },
    });
    req.on('error', () => undefined);
    req.end(gzipped, () => req.destroy());
    // The server still inflates and scans what it received, holding the slot meanwhile.
    await expect(nextLargeBody()).resolves.toMatchObject({ status: 200 });
  });

  it('answers a body that stops arriving with REQUEST_TIMEOUT, and frees its slot', async () => {
    const stalled = post(2 * MB, 100);
    await expect(stalled.answer).resolves.toEqual({ status: 0, code: 'REQUEST_TIMEOUT' });
    await expect(nextLargeBody()).resolves.toMatchObject({ status: 200 });
  });

  it('answers a large body that trickles in with REQUEST_TIMEOUT, and frees its slot', async () => {
    // 16 kB every 100 ms: never idle, but 160 kB/s where 1024 kB/s is asked.
    const trickle = post(2 * MB, 16 * 1024);
    const timer = setInterval(() => trickle.write(16 * 1024), 100);
    await expect(trickle.answer).resolves.toEqual({ status: 0, code: 'REQUEST_TIMEOUT' });
    clearInterval(timer);
    await expect(nextLargeBody()).resolves.toMatchObject({ status: 200 });
  });

  it('lets small bodies through while a large one holds the slot', async () => {
    const large = post(2 * MB, 100);
    await settle(50);
    const small = post(1000, 1000);
    small.end();
    await expect(small.answer).resolves.toMatchObject({ status: 200 });
    large.abort();
  });

  it('refuses a body that grows past the limit without announcing its length', async () => {
    const req = request({
      port,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    req.on('error', () => undefined);
    const answer = new Promise<unknown>((resolve) =>
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      }),
    );
    req.write('[');
    for (let i = 0; i < 5; i++) req.write(`"${'x'.repeat(MB)}",`);
    await expect(answer).resolves.toEqual({ status: 0, code: 'PAYLOAD_TOO_LARGE' });
    req.destroy();
  });

  it.each([
    ['text/plain', undefined],
    ['application/json; charset=utf-8', ['x']],
  ])('reads %s as express.json did', async (type, body) => {
    const req = post(5, 5, { 'content-type': type });
    req.end();
    await expect(req.answer).resolves.toEqual({ status: 200, body: body ?? null });
  });
});

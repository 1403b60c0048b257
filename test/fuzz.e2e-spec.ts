// Fuzz suite: requests generated from the OpenAPI document with fast-check, odd values in every
// path parameter, query parameter, header and body, sent one at a time with a valid key (and
// some without or with a bad one). No answer may be a 5xx, the process must stay up, under 1 GB,
// and keep answering /health promptly meanwhile. FUZZ_SEED replays a run; FUZZ_RUNS sets its size.
import fc from 'fast-check';
import { useIsolatedApp } from './support/api';
import { waitForStatus } from './support/dispatch';
import { fuzzRequests, type FuzzCase } from './support/fuzz-requests';
import { fetchOpenApi, fillPath, operations } from './support/openapi';
import { closeIdleSockets, send, type RawRequest } from './support/raw-http';
import { testEnv } from './support/test-env';
import { percentile, watchVitals } from './support/vitals';
import { batchBody, scripted } from './factories/batch.factory';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const MAX_RSS_BYTES = 1024 ** 3;
const HEALTH_P99_MS = 200;

const NODE_MAX_HEADER_BYTES = 16 * 1024;

function headBytes(request: RawRequest): number {
  const lines = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return Buffer.byteLength(
    `${request.method} ${request.path} HTTP/1.1\r\n${lines.join('')}`,
    'latin1',
  );
}

interface Failure {
  run: number;
  request: string;
  answer: string;
}

describe(`fuzz: ${RUNS} requests from the OpenAPI document (FUZZ_SEED=${SEED})`, () => {
  const service = useIsolatedApp('fuzz');

  it(
    'answers every request without a 5xx, stays up, under 1 GB, and keeps /health fast',
    async () => {
      const { app, client } = service;
      const doc = await fetchOpenApi(app);
      // Ids that exist, in states the lifecycle routes act on.
      const pending = (
        await client.post('/api/batch', batchBody({ options: { autoStart: false } })).expect(201)
      ).body.id as string;
      const done = (
        await client
          .post(
            '/api/batch',
            batchBody({ recipients: [scripted(0), scripted(5)], options: { priority: 'high' } }),
          )
          .expect(201)
      ).body.id as string;
      await waitForStatus(client, done, ['completed', 'failed']);
      const arbitrary = fuzzRequests({
        doc,
        operations: operations(doc),
        ownIds: [pending, done],
        key: testEnv().bootstrapApiKey,
      });

      console.log(
        `fuzz: seed ${SEED}, ${RUNS} runs; replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`,
      );
      const pid = app.process.pid!;
      const vitals = watchVitals(app.url, pid, {
        slowMs: HEALTH_P99_MS,
        rssLimitBytes: MAX_RSS_BYTES,
      });
      // When each request ran, to name the ones around a slow probe or a memory peak.
      const timeline: { run: number; summary: string; start: number; end: number }[] = [];
      // The 3 longest requests that ran around a moment (from 1 s before it): the suspects.
      const around = (from: number, to: number) =>
        timeline
          .filter((t) => t.start <= to && t.end >= from - 1_000)
          .sort((a, b) => b.end - b.start - (a.end - a.start))
          .slice(0, 3)
          .map((t) => `  run ${t.run} (${t.end - t.start} ms): ${t.summary.slice(0, 600)}`);
      const failures: Failure[] = [];
      const statuses = new Map<number, number>();
      let run = 0;
      const started = Date.now();
      try {
        await fc.assert(
          fc.asyncProperty(arbitrary, async ({ request, summary }: FuzzCase) => {
            run++;
            const entry = { run, summary, start: Date.now(), end: Infinity };
            timeline.push(entry);
            let answer: string;
            try {
              const response = await send(app.url, request);
              entry.end = Date.now();
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
              if (response.status < 500) return;
              // Readiness answers 503 when a dependency is slow to answer: what it is for.
              if (response.status === 503 && request.path.startsWith('/health/ready')) return;
              answer = `${response.status} ${response.head.slice(0, 500)}`;
            } catch (error) {
              entry.end = Date.now();
              // Node's HTTP server refuses a request head over 16 kB (431) and closes the
              // connection, which a client still writing its body sees as a reset: expected.
              if (headBytes(request) > NODE_MAX_HEADER_BYTES) return;
              answer = `no answer: ${(error as Error).message}`;
            }
            failures.push({ run, request: summary, answer });
            if (app.process.exitCode !== null || app.process.signalCode !== null) {
              throw new Error(
                `The service exited (${app.process.exitCode ?? app.process.signalCode}) at run ${run}:\n${summary}`,
              );
            }
          }),
          // Failures are collected, not shrunk: one run reports every request that failed.
          { seed: SEED, numRuns: RUNS, endOnFailure: true },
        );
      } finally {
        await vitals.stop();
        closeIdleSockets();
      }
      const seconds = (Date.now() - started) / 1000;
      const p99 = percentile(vitals.healthMs, 99);
      console.log(
        `fuzz: ${run} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ` +
          `/health p50 ${percentile(vitals.healthMs, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...vitals.healthMs).toFixed(1)} ms ` +
          `over ${vitals.healthMs.length} probes; max RSS ${(vitals.maxRssBytes / 1024 ** 2).toFixed(0)} MB`,
      );

      const slow = vitals.slow
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map(
          (p) => `/health took ${p.ms} ms, with around it:\n${around(p.start, p.end).join('\n')}`,
        );
      const peak = vitals.rssOver.sort((a, b) => b.bytes - a.bytes)[0];
      const memory = peak
        ? [
            `RSS ${(peak.bytes / 1024 ** 2).toFixed(0)} MB, with around it:\n${around(peak.at - 250, peak.at).join('\n')}`,
          ]
        : [];
      if (slow.length) console.log(`fuzz: slowest /health probes\n${slow.join('\n')}`);
      if (memory.length) console.log(`fuzz: memory peak\n${memory.join('\n')}`);
      const report = failures.map((f) => `run ${f.run}: ${f.request}\n  -> ${f.answer}`);
      expect(report).toEqual([]);
      expect(app.process.exitCode).toBeNull();
      expect(app.process.signalCode).toBeNull();
      expect((await send(app.url, { method: 'GET', path: '/health', headers: {} })).status).toBe(
        200,
      );
      expect(vitals.healthFailures).toEqual([]);
      expect(memory).toEqual([]);
      const tooSlow = p99 > HEALTH_P99_MS ? [`/health p99 ${Math.round(p99)} ms`, ...slow] : [];
      expect(tooSlow).toEqual([]);
    },
    Math.max(120_000, RUNS * 200),
  );

  it('takes only plain decimal integers in range for numeric query parameters (limit)', async () => {
    const { app, client } = service;
    const doc = await fetchOpenApi(app);
    const done = (await client.get('/api/batch?limit=1').expect(200)).body.items[0].id as string;
    const numeric = operations(doc).flatMap((operation) =>
      operation.parameters
        .filter((p) => p.in === 'query' && ['number', 'integer'].includes(p.schema?.type ?? ''))
        .map((param) => ({ operation, param })),
    );
    expect(numeric.length).toBeGreaterThan(0);
    const notation = fc.constantFrom(
      '1e2',
      '1E1',
      '0x10',
      '0b11',
      '0o7',
      ' 5',
      '5 ',
      '\t5',
      '+5',
      '1.5',
      '5.0',
      '.5',
      '5.',
      'NaN',
      'Infinity',
      '',
      '1_000',
      '１',
      '٥',
      '-0',
      '-1',
      '5,0',
      '5a',
    );
    const refused: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...numeric),
        fc.oneof(notation, fc.integer({ min: -10, max: 1_000 }).map(String)),
        async ({ operation, param }, value) => {
          const min = param.schema?.minimum ?? -Infinity;
          const max = param.schema?.maximum ?? Infinity;
          const plain = /^(0|-?[1-9][0-9]*)$/.test(value) && +value >= min && +value <= max;
          const path = fillPath(
            operation.path,
            Object.fromEntries(operation.pathParameters.map((n) => [n, done])),
          );
          const response = await client.get(`${path}?${param.name}=${encodeURIComponent(value)}`);
          if (response.status !== (plain ? 200 : 400)) {
            refused.push(
              `${operation.name}?${param.name}=${JSON.stringify(value)} answered ${response.status}, expected ${plain ? 200 : 400}`,
            );
          }
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
    expect([...new Set(refused)]).toEqual([]);
  });

  it('renders every variable of a preview, whatever its name (constructor, toString, ...)', async () => {
    const { client } = service;
    const name = fc.oneof(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/),
      fc.constantFrom(
        'constructor',
        'toString',
        'valueOf',
        'hasOwnProperty',
        'isPrototypeOf',
        'prototype',
        '__defineGetter__',
        'toLocaleString',
      ),
    );
    const wrong: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(name, fc.stringMatching(/^[A-Za-z0-9 ]{1,12}$/)), {
          minLength: 1,
          maxLength: 6,
          selector: ([n]) => n,
        }),
        async (pairs) => {
          const text = pairs.map(([n]) => `{{${n}}}`).join(' ');
          const variables = {};
          for (const [n, v] of pairs) {
            Object.defineProperty(variables, n, {
              value: v,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
          const response = await client.post('/api/template/preview', { text, variables });
          const expected = pairs.map(([, v]) => v).join(' ');
          if (response.status !== 200 || response.body.rendered !== expected) {
            wrong.push(
              `${text} with ${JSON.stringify(variables)} answered ${response.status} ${JSON.stringify(response.body.rendered ?? response.body)}`,
            );
          }
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
    // The first 20 are enough to see the pattern.
    expect({ count: wrong.length, first: wrong.slice(0, 20) }).toEqual({ count: 0, first: [] });
  });
});

// Fuzz suite: requests generated from the OpenAPI document with fast-check, odd values in every
// path parameter, query parameter, header and body, sent one at a time with a valid key (and
// some without or with a bad one). No answer may be a 5xx, the process must stay up, under 1 GB,
// and keep answering /health promptly meanwhile. FUZZ_SEED replays a run; FUZZ_RUNS sets its size.
import fc from 'fast-check';
import { useIsolatedApp } from './support/api';
import { waitForStatus } from './support/dispatch';
import { fuzzRequests, type FuzzCase } from './support/fuzz-requests';
import { fetchOpenApi, operations } from './support/openapi';
import { closeIdleSockets, send } from './support/raw-http';
import { testEnv } from './support/test-env';
import { percentile, watchVitals } from './support/vitals';
import { batchBody, scripted } from './factories/batch.factory';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
const MAX_RSS_BYTES = 1024 ** 3;
const HEALTH_P99_MS = 200;

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
      const vitals = watchVitals(app.url, pid);
      const failures: Failure[] = [];
      const statuses = new Map<number, number>();
      let run = 0;
      const started = Date.now();
      try {
        await fc.assert(
          fc.asyncProperty(arbitrary, async ({ request, summary }: FuzzCase) => {
            run++;
            let answer: string;
            try {
              const response = await send(app.url, request);
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
              if (response.status < 500) return;
              answer = `${response.status} ${response.head.slice(0, 500)}`;
            } catch (error) {
              answer = `no answer: ${(error as Error).message}`;
            }
            failures.push({ run, request: summary, answer });
            if (app.process.exitCode !== null) {
              throw new Error(
                `The service exited (${app.process.exitCode}) at run ${run}:\n${summary}`,
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

      const report = failures.map((f) => `run ${f.run}: ${f.request}\n  -> ${f.answer}`);
      expect(report).toEqual([]);
      expect(app.process.exitCode).toBeNull();
      expect((await send(app.url, { method: 'GET', path: '/health', headers: {} })).status).toBe(
        200,
      );
      expect(vitals.healthFailures).toEqual([]);
      expect(vitals.maxRssBytes).toBeLessThan(MAX_RSS_BYTES);
      expect(p99).toBeLessThanOrEqual(HEALTH_P99_MS);
    },
    Math.max(120_000, RUNS * 200),
  );
});

// npm run bench:errors — GET /api/batch/:id/errors on a batch with BENCH_MESSAGES (100,000)
// failed attempts, written by the real dispatch path (a simulator that fails every call). Prints
// the latency of the summary with the first page, the filters and a walk through every page, the
// plans PostgreSQL chose, and what aggregating the log per request would cost instead.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { recipients, TEMPLATE } from '../test/factories/batch.factory';
import { startApp } from '../test/support/app-process';
import { dropDatabase, query } from '../test/support/database';
import { deleteKeys } from '../test/support/redis';
import { createTestEnv } from '../test/support/test-env';
import { LIFTED_RATES } from './support';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

async function main(): Promise<void> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const app = await startApp({
    ...LIFTED_RATES,
    SIMULATOR_FAILURE_RATE: '1',
    RETRY_MAX_ATTEMPTS: '1',
    ERROR_RATE_PAUSE_THRESHOLD: '1',
    MAX_RECIPIENTS_PER_REQUEST: String(Math.max(MESSAGES, 100_000)),
    MAX_BODY_MB: String(Math.max(64, Math.ceil(MESSAGES / 10_000) * 2)),
  });
  const get = async (path: string) => {
    const response = await fetch(`${app.url}${path}`, {
      headers: { Authorization: `Bearer ${env.bootstrapApiKey}` },
    });
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    return response.json() as Promise<{ nextCursor: string | null; items: unknown[] }>;
  };
  try {
    const created = await fetch(`${app.url}/api/batch`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${env.bootstrapApiKey}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ text: TEMPLATE, recipients: recipients(MESSAGES) }),
    });
    if (created.status !== 201) throw new Error(`POST answered ${created.status}`);
    const { id, progress } = (await created.json()) as { id: string; progress: { total: number } };
    if (progress.total !== MESSAGES) throw new Error(`the batch holds ${progress.total} messages`);
    const started = performance.now();
    let status: string;
    do {
      await sleep(200);
      status = ((await get(`/api/batch/${id}`)) as unknown as { status: string }).status;
    } while (status === 'processing');
    const dispatchSeconds = (performance.now() - started) / 1000;
    const [{ attempts }] = await query<{ attempts: string }>(
      env.databaseUrl,
      `SELECT count(*) AS attempts FROM message_errors WHERE batch_id = $1`,
      [id],
    );
    await query(env.databaseUrl, `ANALYZE message_errors; ANALYZE messages`);

    const timed = async (path: string) => {
      const t0 = performance.now();
      const body = await get(path);
      return { ms: performance.now() - t0, body };
    };
    const scenario = async (name: string, path: string) => {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) times.push((await timed(path)).ms);
      return `${name.padEnd(44)} ${summary(times)}`;
    };
    const lines = [
      await scenario('summary + first 50 items', `/api/batch/${id}/errors`),
      await scenario('summary + first 500 items', `/api/batch/${id}/errors?limit=500`),
      await scenario('?category=provider_error', `/api/batch/${id}/errors?category=provider_error`),
      await scenario('?code=SIM_PROVIDER_ERROR', `/api/batch/${id}/errors?code=SIM_PROVIDER_ERROR`),
      await scenario('?category=timeout (no rows)', `/api/batch/${id}/errors?category=timeout`),
    ];
    // Every page, 500 at a time, to the last: deep pages cost what the first does.
    const walk: number[] = [];
    let cursor: string | null = null;
    let listed = 0;
    do {
      const { ms, body } = await timed(
        `/api/batch/${id}/errors?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      walk.push(ms);
      listed += body.items.length;
      cursor = body.nextCursor;
    } while (cursor);
    lines.push(`${`walk of all ${walk.length} pages of 500`.padEnd(44)} ${summary(walk)}`);

    const plans = await Promise.all(
      [
        ['all', ''],
        ['category', `AND e.category = 'provider_error'`],
        ['code', `AND e.code = 'SIM_PROVIDER_ERROR'`],
      ].map(async ([name, filter]) => {
        const rows = await query<{ 'QUERY PLAN': string }>(
          env.databaseUrl,
          `EXPLAIN (ANALYZE, BUFFERS)
           SELECT e.id, m.id, m.phone_number, e.attempt, e.category, e.code, e.message, e.retried, e.at
           FROM message_errors e JOIN messages m ON m.batch_id = e.batch_id AND m.seq = e.seq
           WHERE e.batch_id = $1 ${filter} ORDER BY e.id DESC LIMIT 51`,
          [id],
        );
        const plan = rows.map((r) => r['QUERY PLAN']);
        const scans = plan
          .filter((l) => /Scan/.test(l))
          .map((l) =>
            l
              .trim()
              .replace(/^->\s+/, '')
              .replace(/\s+\(.*$/, ''),
          );
        const time = plan.find((l) => l.startsWith('Execution Time')) ?? '';
        return `  ${name.padEnd(9)} ${scans.join(' / ')}; ${time}`;
      }),
    );
    const t0 = performance.now();
    await query(
      env.databaseUrl,
      `SELECT category, count(*), count(DISTINCT seq) FROM message_errors
       WHERE batch_id = $1 GROUP BY category`,
      [id],
    );
    const aggregateMs = performance.now() - t0;

    console.log(
      [
        `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
        `batch: ${MESSAGES} messages, every call failed; ${attempts} failed attempts logged; status ${status}`,
        `dispatch with the error log: ${dispatchSeconds.toFixed(1)} s = ${Math.round(MESSAGES / dispatchSeconds)} messages/s`,
        `GET /api/batch/:id/errors over HTTP, ${ROUNDS} sequential requests each (p50 / p95 / p99 / max ms):`,
        ...lines.map((l) => `  ${l}`),
        `items listed by the walk: ${listed}`,
        `plans of the items query (LIMIT 51):`,
        ...plans,
        `aggregating the log per request instead (GROUP BY category, count DISTINCT): ${aggregateMs.toFixed(1)} ms`,
      ].join('\n'),
    );
  } finally {
    await app.stop();
    await dropDatabase(env.databaseUrl);
    await deleteKeys(env.redisUrl, env.redisPrefix);
  }
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return [at(0.5), at(0.95), at(0.99), sorted[sorted.length - 1]]
    .map((ms) => ms.toFixed(1))
    .join(' / ');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// npm run bench:dispatch — 100,000 messages through the whole dispatch path with the rate limits
// lifted and a zero-latency simulator, every state persisted; compared in the same run with plain
// Bull processing no-op jobs.
import Bull from 'bull';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { recipients, TEMPLATE } from '../test/factories/batch.factory';
import { startApp } from '../test/support/app-process';
import { dropDatabase, query } from '../test/support/database';
import { deleteKeys } from '../test/support/redis';
import { createTestEnv } from '../test/support/test-env';
import { LIFTED_RATES } from './support';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 200);
const NOOP_JOBS = 20_000;

async function main(): Promise<void> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const app = await startApp({
    ...LIFTED_RATES,
    SIMULATOR_LATENCY_MS: '0',
    DISPATCH_CHUNK_SIZE: String(CHUNK),
    MAX_RECIPIENTS_PER_REQUEST: String(Math.max(MESSAGES, 100_000)),
  });
  try {
    const auth = { Authorization: `Bearer ${env.bootstrapApiKey}` };
    const created = await request(app.url)
      .post('/api/batch')
      .set(auth)
      .send({ text: TEMPLATE, recipients: recipients(MESSAGES), options: { autoStart: false } });
    if (created.status !== 201) throw new Error(`POST answered ${created.status}`);
    const { id } = created.body as { id: string };

    // Count the chunk jobs actually run, from Bull's own completion events.
    const listeners = ['dispatch-high', 'dispatch-normal', 'dispatch-low'].map(
      (name) => new Bull(name, env.redisUrl, { prefix: env.redisPrefix }),
    );
    let jobs = 0;
    for (const queue of listeners) {
      await queue.isReady();
      queue.on('global:completed', () => jobs++);
      queue.on('global:failed', () => jobs++);
    }

    const started = performance.now();
    await request(app.url).post(`/api/batch/${id}/start`).set(auth).expect(200);
    let status: { status: string };
    do {
      await sleep(100);
      status = (await request(app.url).get(`/api/batch/${id}`).set(auth)).body as {
        status: string;
      };
    } while (status.status === 'processing');
    const seconds = (performance.now() - started) / 1000;

    await sleep(500); // the last completion events
    await Promise.all(listeners.map((queue) => queue.close()));
    const [{ sent, ledger }] = await query<{ sent: string; ledger: string }>(
      env.databaseUrl,
      `SELECT (SELECT count(*) FROM messages WHERE batch_id = $1 AND status = 'sent') AS sent,
              (SELECT count(*) FROM simulator_ledger) AS ledger`,
      [id],
    );
    const noop = await bullNoop(env.redisUrl, `${env.redisPrefix}-noop`);
    const rate = MESSAGES / seconds;
    console.log(
      [
        `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
        `batch: ${MESSAGES} messages, chunk ${CHUNK}; final status ${status.status}, sent ${sent}, simulator ledger ${ledger}`,
        `dispatch: ${seconds.toFixed(2)} s = ${Math.round(rate)} messages/s, ${jobs} Bull jobs (1 per ${Math.round(MESSAGES / jobs)} messages)`,
        `plain Bull, no-op jobs (concurrency 50, one process): ${Math.round(noop)} jobs/s`,
        `ratio (dispatch messages/s / no-op jobs/s): ${(rate / noop).toFixed(2)}`,
      ].join('\n'),
    );
  } finally {
    await app.stop();
    await dropDatabase(env.databaseUrl);
    await deleteKeys(env.redisUrl, env.redisPrefix);
  }
}

async function bullNoop(redisUrl: string, prefix: string): Promise<number> {
  const queue = new Bull('noop', redisUrl, { prefix });
  try {
    await queue.addBulk(
      Array.from({ length: NOOP_JOBS }, (_, i) => ({
        data: { i },
        opts: { removeOnComplete: true },
      })),
    );
    const started = performance.now();
    let done = 0;
    await new Promise<void>((resolve) => {
      void queue.process(50, () => {
        if (++done === NOOP_JOBS) resolve();
        return Promise.resolve();
      });
    });
    return NOOP_JOBS / ((performance.now() - started) / 1000);
  } finally {
    await queue.close();
    await deleteKeys(redisUrl, prefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

// npm run bench:events — 200 Socket.IO clients following 20 running batches, with one API process
// (which serves the sockets) and two worker processes. Half the clients follow the account
// ({ all: true }), half subscribe to each of the 20 batches by id. Prints the events delivered per
// second, the lag from a provider's acceptance to a client seeing it (p50/p95/p99), the lag from a
// batch finishing to its final state arriving, the pacing seen by clients, and each process's CPU.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { recipients, TEMPLATE } from '../test/factories/batch.factory';
import { startApp, type RunningApp } from '../test/support/app-process';
import { dropDatabase, query } from '../test/support/database';
import { deleteKeys } from '../test/support/redis';
import { connect, mostInAnySecond, type BatchSocket } from '../test/support/sockets';
import { createTestEnv } from '../test/support/test-env';
import { apiCaller } from './support';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
/** Each batch's rate: 20 batches at 25/s keep the workers well below their capacity. */
const RATE = Number(process.env.BENCH_RATE ?? 25);

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;

async function main(): Promise<void> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const settings = {
    PROVIDER_MAX_MPS: '0',
    RATE_LIMIT_NORMAL: String(RATE),
    RECONCILE_INTERVAL_MS: '1000',
  };
  const apps: RunningApp[] = [];
  const clients: BatchSocket[] = [];
  try {
    apps.push(await startApp({ ...settings, APP_ROLE: 'api' }));
    apps.push(await startApp({ ...settings, APP_ROLE: 'worker' }));
    apps.push(await startApp({ ...settings, APP_ROLE: 'worker' }));
    const [apiProcess] = apps;
    const call = apiCaller(apiProcess.url, env.bootstrapApiKey);

    const ids: string[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const created = await call('POST', '/api/batch', {
        text: TEMPLATE,
        recipients: recipients(RATE * SECONDS),
        options: { priority: 'normal', autoStart: false },
      });
      ids.push(created.id as string);
    }
    for (let i = 0; i < CLIENTS; i++) {
      const client = await connect(apiProcess, env.bootstrapApiKey);
      clients.push(client);
      if (i % 2 === 0) await client.ask('subscribe', { all: true });
      else for (const batchId of ids) await client.ask('subscribe', { batchId });
    }
    console.log(`${CLIENTS} clients following ${BATCHES} batches of ${RATE * SECONDS} messages`);

    const pids = apps.map((app) => app.process.pid!);
    const cpuBefore = pids.map(cpuSeconds);
    const ownBefore = cpuSeconds(process.pid);
    const started = Date.now();
    await Promise.all(ids.map((id) => call('POST', `/api/batch/${id}/start`)));
    const deadline = started + SECONDS * 3_000;
    for (;;) {
      const statuses = await Promise.all(ids.map((id) => call('GET', `/api/batch/${id}`)));
      if (statuses.every((s) => s.status === 'completed')) break;
      if (Date.now() > deadline) throw new Error('The batches did not complete in time.');
      await sleep(500);
    }
    await sleep(1_500); // the last finals reach every client
    const elapsedS = (Date.now() - started) / 1_000;
    const cpu = pids.map((pid, i) => (cpuSeconds(pid) - cpuBefore[i]) / elapsedS);
    const own = (cpuSeconds(process.pid) - ownBefore) / elapsedS;

    // When the provider accepted each message: the n-th acceptance is the change that a state
    // with completed = n shows.
    const acceptedAt = new Map<string, number[]>();
    const finishedAt = new Map<string, number>();
    for (const id of ids) {
      const rows = await query<{ at: Date }>(
        env.databaseUrl,
        `SELECT l.accepted_at AS at FROM simulator_ledger l
         JOIN messages m ON m.id = l.idempotency_key WHERE m.batch_id = $1 ORDER BY l.accepted_at`,
        [id],
      );
      acceptedAt.set(
        id,
        rows.map((r) => r.at.getTime()),
      );
      const [batch] = await query<{ at: Date }>(
        env.databaseUrl,
        `SELECT completed_at AS at FROM batches WHERE id = $1`,
        [id],
      );
      finishedAt.set(id, batch.at.getTime());
    }

    const lags: number[] = [];
    const finalLags: number[] = [];
    let delivered = 0;
    let mostPerSecond = 0;
    let mostBeforeFinal = 0;
    let backwards = 0;
    for (const client of clients) {
      delivered += client.heard.length;
      for (const id of ids) {
        const progress = client.of(id, 'batch:progress');
        const times = progress.map((h) => h.at);
        mostPerSecond = Math.max(mostPerSecond, mostInAnySecond(times));
        mostBeforeFinal = Math.max(mostBeforeFinal, mostInAnySecond(times.slice(0, -1)));
        let last = 0;
        for (const { at, body } of progress) {
          const n = body.progress.completed;
          if (n < last) backwards++;
          last = n;
          if (n > 0) lags.push(at - acceptedAt.get(id)![n - 1]);
          if (body.status === 'completed') finalLags.push(at - finishedAt.get(id)!);
        }
      }
    }
    lags.sort((a, b) => a - b);
    finalLags.sort((a, b) => a - b);
    const runS = (Math.max(...finishedAt.values()) - started) / 1_000;

    console.log(`\nmachine: ${cpus()[0].model}, ${cpus().length} cores; run ${runS.toFixed(1)} s`);
    console.log(`events delivered: ${delivered} (${(delivered / runS).toFixed(0)} per second)`);
    console.log(
      `lag from acceptance to a client: p50 ${percentile(lags, 50)} ms, ` +
        `p95 ${percentile(lags, 95)} ms, p99 ${percentile(lags, 99)} ms (${lags.length} events)`,
    );
    console.log(
      `lag from finishing to the final state: p50 ${percentile(finalLags, 50)} ms, ` +
        `p95 ${percentile(finalLags, 95)} ms, max ${finalLags[finalLags.length - 1]} ms ` +
        `(${finalLags.length} of ${CLIENTS * BATCHES} expected)`,
    );
    console.log(
      `pacing: most batch:progress in any second per batch and client ${mostBeforeFinal}, ` +
        `${mostPerSecond} with the final state; counts going backwards: ${backwards}`,
    );
    console.log(
      `CPU (share of one core): API process ${(cpu[0] * 100).toFixed(0)}%, ` +
        `workers ${cpu
          .slice(1)
          .map((c) => `${(c * 100).toFixed(0)}%`)
          .join(', ')}; this benchmark's ${CLIENTS} clients ${(own * 100).toFixed(0)}%`,
    );
  } finally {
    clients.forEach((c) => c.close());
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabase(env.databaseUrl);
    await deleteKeys(env.redisUrl, env.redisPrefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

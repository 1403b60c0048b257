// npm run bench:rate — 60 s of sending under a provider ceiling below the tiers' sum, with three
// worker processes and an API process: one batch per tier. Prints per batch the achieved rate
// against its allotted rate, the most sends in any sliding 1-second window, the windows over the
// limit and the p99 gap between sends; then the same figures, in the same run, for Bull's built-in
// limiter set to the same rates (three consumers on one queue per batch).
import Bull from 'bull';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { recipients, TEMPLATE } from '../test/factories/batch.factory';
import { startApp, type RunningApp } from '../test/support/app-process';
import { dropDatabase } from '../test/support/database';
import { deleteKeys } from '../test/support/redis';
import { createTestEnv } from '../test/support/test-env';
import { apiCaller } from './support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const CEILING = Number(process.env.BENCH_CEILING ?? 10);
const WORKERS = 3;
const TIERS = [
  { priority: 'high', rate: 8 },
  { priority: 'normal', rate: 5 },
  { priority: 'low', rate: 2 },
] as const;

interface Figures {
  name: string;
  /** The rate it should reach (its allotted share). */
  allotted: number;
  /** The most sends any sliding 1-second window may hold (the tier's rate, or the ceiling). */
  windowLimit: number;
  sends: number[];
}

async function main(): Promise<void> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const settings = { PROVIDER_MAX_MPS: String(CEILING), RECONCILE_INTERVAL_MS: '1000' };
  const apps: RunningApp[] = [];
  try {
    apps.push(await startApp({ ...settings, APP_ROLE: 'api' }));
    for (let i = 0; i < WORKERS; i++)
      apps.push(await startApp({ ...settings, APP_ROLE: 'worker' }));
    const call = apiCaller(apps[0].url, env.bootstrapApiKey);

    // Salvo: enough messages for every batch to outlast the run.
    const ids = await Promise.all(
      TIERS.map(async ({ priority, rate }) => {
        const created = await call('POST', '/api/batch', {
          text: TEMPLATE,
          recipients: recipients(Math.ceil(rate * SECONDS * 1.2) + 5),
          options: { priority },
        });
        return created.id as string;
      }),
    );
    // Bull, in the same run: one queue per batch, its limiter at the batch's allotted rate.
    await sleep(3_000); // the allotment settles once every batch has asked
    const allotted = await Promise.all(
      ids.map(async (id) => Number((await call('GET', `/api/batch/${id}/analytics`)).allottedRate)),
    );
    const bull = await startBull(env.redisUrl, `${env.redisPrefix}-bull`, allotted);
    const started = Date.now();
    await sleep(SECONDS * 1_000);
    const bullSends = await bull.stop();
    for (const id of ids) await call('POST', `/api/batch/${id}/cancel`);

    const from = started;
    const to = started + SECONDS * 1_000;
    const salvo: Figures[] = [];
    for (const [i, id] of ids.entries()) {
      const sends: number[] = [];
      let cursor: string | null = null;
      do {
        const page = await call(
          'GET',
          `/api/batch/${id}/messages?status=sent&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        for (const m of page.items as { sentAt: string }[]) sends.push(Date.parse(m.sentAt));
        cursor = page.nextCursor as string | null;
      } while (cursor);
      salvo.push({
        name: `salvo ${TIERS[i].priority}`,
        allotted: allotted[i],
        windowLimit: TIERS[i].rate,
        sends: sends.filter((t) => t >= from && t < to),
      });
    }
    const all: Figures = {
      name: 'salvo, all batches',
      allotted: CEILING,
      windowLimit: CEILING,
      sends: salvo.flatMap((f) => f.sends),
    };
    const bullFigures: Figures[] = bullSends.map((sends, i) => ({
      name: `bull ${TIERS[i].priority}`,
      allotted: allotted[i],
      windowLimit: TIERS[i].rate,
      sends: sends.filter((t) => t >= from && t < to),
    }));
    const bullAll: Figures = {
      name: 'bull, all queues',
      allotted: CEILING,
      windowLimit: CEILING,
      sends: bullFigures.flatMap((f) => f.sends),
    };

    console.log(
      [
        `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
        `${SECONDS} s, ceiling ${CEILING}/s, ${WORKERS} worker processes + 1 API process; tiers 8/5/2`,
        `${'who'.padEnd(20)} ${'allotted/s'.padStart(10)} ${'achieved/s'.padStart(11)} ${'% allotted'.padStart(11)} ${'max in 1 s'.padStart(11)} ${'limit'.padStart(6)} ${'windows over'.padStart(13)} ${'p99 gap ms'.padStart(11)}`,
        ...[...salvo, all, ...bullFigures, bullAll].map((f) => line(f)),
      ].join('\n'),
    );
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabase(env.databaseUrl);
    await deleteKeys(env.redisUrl, env.redisPrefix);
  }
}

/** One Bull queue per batch, limited to its rate, with three consumers each. */
async function startBull(redisUrl: string, prefix: string, rates: number[]) {
  const sends = rates.map(() => [] as number[]);
  const queues: Bull.Queue[] = [];
  for (const [i, rate] of rates.entries()) {
    // Bull counts whole jobs per duration: a fractional rate becomes jobs per 10 s.
    const limiter = Number.isInteger(rate)
      ? { max: rate, duration: 1_000 }
      : { max: Math.max(1, Math.round(rate * 10)), duration: 10_000 };
    const name = `bench-${i}`;
    const producer = new Bull(name, redisUrl, { prefix, limiter });
    await producer.addBulk(
      Array.from({ length: Math.ceil(rate * SECONDS * 1.5) + 10 }, (_, n) => ({
        data: { n },
        opts: { removeOnComplete: true },
      })),
    );
    queues.push(producer);
    for (let c = 0; c < WORKERS; c++) {
      const consumer = new Bull(name, redisUrl, { prefix, limiter });
      void consumer.process(4, () => {
        sends[i].push(Date.now());
        return Promise.resolve();
      });
      queues.push(consumer);
    }
  }
  return {
    stop: async () => {
      await Promise.all(queues.map((q) => q.close()));
      await deleteKeys(redisUrl, prefix);
      return sends;
    },
  };
}

function line({ name, allotted, windowLimit, sends }: Figures): string {
  const times = [...sends].sort((a, b) => a - b);
  const span = times.length > 1 ? (times[times.length - 1] - times[0]) / 1000 : 0;
  const achieved = span > 0 ? (times.length - 1) / span : 0;
  // Every window that ends at a send: how many hold more than the limit, and the fullest.
  let worst = 0;
  let over = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
    if (i - j + 1 > windowLimit) over++;
  }
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i])
    .sort((a, b) => a - b);
  const p99 = gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))] : 0;
  return [
    name.padEnd(20),
    allotted.toFixed(2).padStart(10),
    achieved.toFixed(2).padStart(11),
    `${((achieved / allotted) * 100).toFixed(1)}%`.padStart(11),
    String(worst).padStart(11),
    String(windowLimit).padStart(6),
    String(over).padStart(13),
    String(p99).padStart(11),
  ].join(' ');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

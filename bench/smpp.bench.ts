// npm run bench:smpp — the SMPP adapter against the test SMSC on loopback, answering every
// submit_sm after 20 ms, with rates lifted, 2 binds per worker and a window of 10 each: what the
// window and the latency allow is binds × window / latency = 1,000 PDUs per second per worker.
// 1. Short messages (one PDU each) and long ones (four parts each): PDUs per second achieved at the
//    SMSC as a share of that (target ≥ 90%).
// 2. SMPP_MAX_MPS=200: the most submit_sm arriving at the SMSC in any 1-second window (target ≤ 200,
//    arrival jitter may add 2%).
import { cpus } from 'node:os';
import { phoneNumber } from '../test/factories/batch.factory';
import { startApp, type RunningApp } from '../test/support/app-process';
import { dropDatabase } from '../test/support/database';
import { FakeSmsc, type SubmitRecord } from '../test/support/fake-smsc';
import { deleteKeys } from '../test/support/redis';
import { createTestEnv } from '../test/support/test-env';
import { apiCaller, LIFTED_RATES, startAndWait } from './support';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const LATENCY_MS = Number(process.env.BENCH_SMSC_LATENCY_MS ?? 20);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const BINDS = 2;
const WINDOW = 10;
const CEILING = 200;
/** Which runs (by number, e.g. `1,3`); all by default. */
const RUNS = (process.env.BENCH_RUNS ?? '1,2,3').split(',').map(Number);
/** About 575 GSM characters: four parts (at most 153 each). */
const LONG_TEXT = 'Hi {{name}}, ' + 'this is a long message for the SMPP benchmark. '.repeat(12);

interface Run {
  label: string;
  text: string;
  messages: number;
  env: Record<string, string>;
}

/** PDUs per second from the first arrival to the last, and the most in any 1-second window. */
function measure(submits: readonly SubmitRecord[]) {
  const times = submits.map((s) => s.at).sort((a, b) => a - b);
  const seconds = (times[times.length - 1] - times[0]) / 1000;
  let most = 0;
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[last] - times[first] >= 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  // The middle 80% of arrivals: the rate once the run is under way, without its start and end.
  const from = Math.floor(times.length * 0.1);
  const to = Math.floor(times.length * 0.9);
  const steady = (to - from) / ((times[to] - times[from]) / 1000);
  return { pdus: times.length, seconds, rate: (times.length - 1) / seconds, steady, most };
}

async function run(smsc: FakeSmsc, { label, text, messages, env: extra }: Run): Promise<string> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const settings = {
    ...LIFTED_RATES,
    ...extra,
    DATABASE_URL: env.databaseUrl,
    REDIS_PREFIX: env.redisPrefix,
    MAX_RECIPIENTS_PER_REQUEST: String(Math.max(messages, 100_000)),
    SMS_PROVIDER: 'smpp',
    SMPP_URL: smsc.url,
    SMPP_SYSTEM_ID: 'salvo',
    SMPP_PASSWORD: 'secret',
    SMPP_SOURCE_ADDR: 'Salvo',
    SMPP_BINDS: String(BINDS),
    SMPP_WINDOW: String(WINDOW),
  };
  const apps: RunningApp[] = [];
  try {
    // As deployed: the API on its own process, the binds on the workers.
    const api = await startApp({ ...settings, APP_ROLE: 'api' });
    apps.push(api);
    for (let i = 0; i < WORKERS; i++)
      apps.push(await startApp({ ...settings, APP_ROLE: 'worker' }));
    await smsc.waitFor('every bind', () => smsc.sessions === WORKERS * BINDS, 30_000);
    const call = apiCaller(api.url, env.bootstrapApiKey);
    const created = await call('POST', '/api/batch', {
      text,
      recipients: Array.from({ length: messages }, (_, i) => ({
        phoneNumber: phoneNumber(i),
        variables: { name: `N${i}` },
      })),
      options: { autoStart: false },
    });
    const id = created.id as string;
    if (!id) throw new Error(`POST /api/batch answered ${JSON.stringify(created)}`);
    const from = smsc.submits.length;
    const violations = smsc.windowViolations;
    const status = await startAndWait(call, id);
    const submits = smsc.submits.slice(from);
    const { pdus, seconds, rate, steady, most } = measure(submits);
    const held = submits
      .filter((s) => s.answeredAt !== null)
      .map((s) => s.answeredAt! - s.at)
      .sort((a, b) => a - b);
    const heldMs = `the SMSC held each submit_sm p50 ${held[Math.floor(held.length / 2)]} ms, p99 ${held[Math.floor(held.length * 0.99)]} ms`;
    const allowed = (WORKERS * BINDS * WINDOW * 1000) / LATENCY_MS;
    const ceiling = extra.SMPP_MAX_MPS ? Number(extra.SMPP_MAX_MPS) : null;
    return [
      `${label}: batch ${String(status.status)}, ${JSON.stringify(status.progress)}; ${pdus} submit_sm at the SMSC over ${seconds.toFixed(1)} s, ${smsc.windowViolations - violations} window violations; ${heldMs}`,
      ceiling
        ? `  most submit_sm in any 1-second window: ${most} (SMPP_MAX_MPS=${ceiling}; target ≤ ${ceiling}, ${(ceiling * 1.02).toFixed(0)} with 2% jitter); mean ${rate.toFixed(1)} PDUs/s`
        : `  ${rate.toFixed(1)} PDUs/s = ${((100 * rate) / allowed).toFixed(1)}% of the ${allowed} that ${WORKERS * BINDS} binds × window ${WINDOW} / ${LATENCY_MS} ms allow (target ≥ 90%); ${(rate / (submits.length / messages)).toFixed(1)} messages/s; under way (the middle 80% of arrivals): ${steady.toFixed(1)} PDUs/s = ${((100 * steady) / allowed).toFixed(1)}%`,
    ].join('\n');
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await dropDatabase(env.databaseUrl);
    await deleteKeys(env.redisUrl, env.redisPrefix);
  }
}

async function main(): Promise<void> {
  const smsc = await FakeSmsc.start({ ackDelayMs: LATENCY_MS, window: WINDOW });
  try {
    const lines = [
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; one API process, ${WORKERS} worker(s), ${BINDS} binds each, window ${WINDOW}, the SMSC answering after ${LATENCY_MS} ms`,
    ];
    const runs: Run[] = [
      {
        label: 'short messages (1 part)',
        text: 'Hi {{name}}, your code is ready.',
        messages: MESSAGES,
        env: {},
      },
      {
        label: 'long messages (4 parts)',
        text: LONG_TEXT,
        messages: Math.ceil(MESSAGES / 4),
        env: {},
      },
      {
        label: `short messages, SMPP_MAX_MPS=${CEILING}`,
        text: 'Hi {{name}}, your code is ready.',
        messages: CEILING * 15,
        env: { SMPP_MAX_MPS: String(CEILING) },
      },
    ];
    for (const each of runs.filter((_, i) => RUNS.includes(i + 1))) {
      lines.push(await run(smsc, each));
      console.log(lines[lines.length - 1]);
    }
    console.log(`\n${lines.join('\n')}`);
  } finally {
    await smsc.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

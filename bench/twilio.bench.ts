// npm run bench:twilio — 20,000 messages through the Twilio adapter to the fake Twilio, which answers
// each create after 150 ms and posts two signed status callbacks per message (sent, delivered) back
// to Salvo's webhook. Measures the send rate against PROVIDER_MAX_MPS=500 (target ≥ 95%) and how long
// Salvo takes to answer the callbacks, each only once durable (target p99 ≤ 100 ms).
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { recipients, TEMPLATE } from '../test/factories/batch.factory';
import { startApp } from '../test/support/app-process';
import { dropDatabase, query } from '../test/support/database';
import { FakeTwilio } from '../test/support/fake-twilio';
import { freePort } from '../test/support/free-port';
import { deleteKeys } from '../test/support/redis';
import { createTestEnv } from '../test/support/test-env';
import { apiCaller, LIFTED_RATES, startAndWait } from './support';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const CEILING = Number(process.env.BENCH_MAX_MPS ?? 500);
const LATENCY_MS = Number(process.env.BENCH_TWILIO_LATENCY_MS ?? 150);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

async function main(): Promise<void> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const twilio = new FakeTwilio();
  await twilio.start();
  twilio.delayAll(LATENCY_MS);
  twilio.autoCallbacks({});
  const port = await freePort();
  const settings = {
    ...LIFTED_RATES,
    PROVIDER_MAX_MPS: String(CEILING),
    MAX_RECIPIENTS_PER_REQUEST: String(Math.max(MESSAGES, 100_000)),
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15005550006',
    TWILIO_API_BASE_URL: twilio.baseUrl,
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  };
  // As deployed: the webhooks on an API process, the sends on worker processes.
  const app = await startApp({ ...settings, APP_ROLE: 'api', PORT: String(port) });
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, () => startApp({ ...settings, APP_ROLE: 'worker' })),
  );
  try {
    const call = apiCaller(app.url, env.bootstrapApiKey);
    const created = await call('POST', '/api/batch', {
      text: TEMPLATE,
      recipients: recipients(MESSAGES),
      options: { autoStart: false },
    });
    const id = created.id as string;
    if (!id) throw new Error(`POST /api/batch answered ${JSON.stringify(created)}`);

    let status = await startAndWait(call, id);
    // Every callback posted and answered.
    const expected = MESSAGES * 2;
    const deadline = Date.now() + 60_000;
    while (twilio.callbacks.filter((c) => c.answer !== 'pending').length < expected) {
      if (Date.now() > deadline) break;
      await sleep(250);
    }
    status = await call('GET', `/api/batch/${id}`);
    const analytics = await call('GET', `/api/batch/${id}/analytics`);

    const [{ first, last, sent }] = await query<{ first: Date; last: Date; sent: string }>(
      env.databaseUrl,
      `SELECT min(sent_at) AS first, max(sent_at) AS last, count(*) AS sent
       FROM messages WHERE batch_id = $1 AND status = 'sent'`,
      [id],
    );
    const sendSeconds = (last.getTime() - first.getTime()) / 1000;
    const rate = (Number(sent) - 1) / sendSeconds;
    const answered = twilio.callbacks.filter((c) => c.ms !== undefined);
    const times = answered.map((c) => c.ms!).sort((a, b) => a - b);
    const statuses = new Map<string, number>();
    for (const c of twilio.callbacks) {
      statuses.set(String(c.answer), (statuses.get(String(c.answer)) ?? 0) + 1);
    }
    console.log(
      [
        `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; one API process, ${WORKERS} worker(s)`,
        `batch: ${MESSAGES} messages, fake Twilio answering after ${LATENCY_MS} ms; final status ${String(status.status)}, sent ${sent}, created at the fake ${twilio.messages.length}`,
        `send rate: ${rate.toFixed(1)} messages/s over ${sendSeconds.toFixed(1)} s = ${((100 * rate) / CEILING).toFixed(1)}% of PROVIDER_MAX_MPS=${CEILING} (target ≥ 95%)`,
        `callbacks: ${twilio.callbacks.length} posted, answers ${JSON.stringify(Object.fromEntries(statuses))}`,
        `callback answer time: p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${percentile(times, 0.99).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms (target p99 ≤ 100 ms)`,
        `delivery: ${JSON.stringify(status.delivery)}`,
        `analytics: provider latency ${JSON.stringify(analytics.providerLatencyMs)}, limiter wait ${JSON.stringify(analytics.limiterWaitMs)}, provider rate limits ${JSON.stringify(analytics.providerRateLimits)}, delivery ${JSON.stringify(analytics.delivery)}`,
      ].join('\n'),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await app.stop();
    await twilio.close();
    await dropDatabase(env.databaseUrl);
    await deleteKeys(env.redisUrl, env.redisPrefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

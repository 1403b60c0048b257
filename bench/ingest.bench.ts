// npm run bench:ingest — POST one batch of 100,000 recipients to the built service and compare with a
// plain COPY of the same rows into a scratch table (the floor any ingest path pays); then the same
// batch with the consent checks at work (issue 17): 10,000 suppressions (1% of them numbers of the
// batch) and a send window in the recipients' time zones, in rounds alternating with plain ones.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import request from 'supertest';
import { uuidV7s } from '../src/common/uuid-v7';
import { recipients, TEMPLATE } from '../test/factories/batch.factory';
import { startApp } from '../test/support/app-process';
import { dropDatabase, query, withDatabase } from '../test/support/database';
import { createTestEnv } from '../test/support/test-env';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SUPPRESSIONS = 10_000;
/** Open nearly all day, so the batch is as sendable as the plain one; the zones are what costs. */
const SEND_WINDOW = { start: '00:00', end: '23:59', timeZone: 'recipient' };

async function main(): Promise<void> {
  const env = createTestEnv();
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
  const app = await startApp({
    MAX_RECIPIENTS_PER_REQUEST: String(Math.max(RECIPIENTS, 100_000)),
    PHONE_WORKERS: process.env.PHONE_WORKERS,
  });
  try {
    const body = JSON.stringify({
      text: TEMPLATE,
      recipients: recipients(RECIPIENTS),
      options: { autoStart: false },
    });
    const post = async (payload: string) => {
      const started = performance.now();
      const response = await request(app.url)
        .post('/api/batch')
        .set('Authorization', `Bearer ${env.bootstrapApiKey}`)
        .set('Content-Type', 'application/json')
        .send(payload);
      if (response.status !== 201)
        throw new Error(
          `POST answered ${response.status}: ${JSON.stringify(response.body).slice(0, 500)}`,
        );
      return performance.now() - started;
    };

    // Warm up the service (JIT, phone threads, connection pool) with a small batch.
    await post(
      JSON.stringify({
        text: TEMPLATE,
        recipients: recipients(2_000),
        options: { autoStart: false },
      }),
    );
    const apiTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) apiTimes.push(await post(body));

    const copyTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) copyTimes.push(await plainCopy(env.databaseUrl));

    // Plain and consent rounds in turn, so both see the machine in the same state.
    const consentBody = JSON.stringify({
      text: TEMPLATE,
      recipients: recipients(RECIPIENTS),
      options: { autoStart: false, sendWindow: SEND_WINDOW },
    });
    const plainTimes: number[] = [];
    const consentTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plainTimes.push(await post(body));
      await suppress(env.databaseUrl, SUPPRESSIONS);
      consentTimes.push(await post(consentBody));
      await query(env.databaseUrl, 'DELETE FROM suppressions');
    }

    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const apiMs = median(apiTimes);
    const copyMs = median(copyTimes);
    const lines = [
      `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
      `body: ${RECIPIENTS} recipients, ${(Buffer.byteLength(body) / 1e6).toFixed(1)} MB of JSON; ${ROUNDS} rounds, median`,
      `POST /api/batch: ${apiMs.toFixed(0)} ms = ${Math.round((RECIPIENTS / apiMs) * 1000)} recipients/s (rounds: ${apiTimes.map((t) => t.toFixed(0)).join(', ')} ms)`,
      `plain COPY of the same rows: ${copyMs.toFixed(0)} ms = ${Math.round((RECIPIENTS / copyMs) * 1000)} rows/s (rounds: ${copyTimes.map((t) => t.toFixed(0)).join(', ')} ms)`,
      `ratio (API time / COPY time): ${(apiMs / copyMs).toFixed(2)}`,
      `consent checks (${SUPPRESSIONS} suppressions, ${SUPPRESSIONS / 100} of them in the batch; sendWindow ${JSON.stringify(SEND_WINDOW)}), alternating with plain rounds:`,
      `  plain:   ${median(plainTimes).toFixed(0)} ms = ${Math.round((RECIPIENTS / median(plainTimes)) * 1000)} recipients/s (rounds: ${plainTimes.map((t) => t.toFixed(0)).join(', ')} ms)`,
      `  consent: ${median(consentTimes).toFixed(0)} ms = ${Math.round((RECIPIENTS / median(consentTimes)) * 1000)} recipients/s (rounds: ${consentTimes.map((t) => t.toFixed(0)).join(', ')} ms)`,
      `  cost: ${((median(consentTimes) / median(plainTimes) - 1) * 100).toFixed(1)}% of the plain time (target: at most 15%)`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await app.stop();
    await dropDatabase(env.databaseUrl);
  }
}

/**
 * `count` suppressions: every hundredth a recipient of the batch, the rest numbers it does not
 * have; half deployment-wide, half the bootstrap account's own.
 */
async function suppress(databaseUrl: string, count: number): Promise<void> {
  const inBatch = recipients(RECIPIENTS).map((r) => r.phoneNumber);
  const numbers = Array.from({ length: count }, (_, i) =>
    i % 100 === 0 ? inBatch[(i * 7) % inBatch.length] : `+4477009${String(i).padStart(5, '0')}`,
  );
  await query(
    databaseUrl,
    `INSERT INTO suppressions (id, phone_number, account_id, scope, reason)
     SELECT gen_random_uuid(), n,
            CASE WHEN i % 2 = 0 THEN NULL ELSE (SELECT id FROM accounts ORDER BY created_at LIMIT 1) END,
            CASE WHEN i % 2 = 0 THEN 'deployment' ELSE 'account' END,
            CASE WHEN i % 2 = 0 THEN 'stop_reply' ELSE 'manual' END
     FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i)`,
    [numbers],
  );
}

/** COPY of 100k message rows, as the ingest writes them, into a fresh copy of the messages table. */
async function plainCopy(databaseUrl: string): Promise<number> {
  return withDatabase(databaseUrl, async (client) => {
    await client.query('DROP TABLE IF EXISTS bench_copy');
    await client.query('CREATE TABLE bench_copy (LIKE messages INCLUDING ALL)');
    const [{ id: batchId }] = (await client.query<{ id: string }>('SELECT id FROM batches LIMIT 1'))
      .rows;
    const ids = uuidV7s(RECIPIENTS);
    const rows = recipients(RECIPIENTS).map(
      (r, seq) =>
        `${ids[seq]}\t${batchId}\t${seq}\t${r.phoneNumber}\t${JSON.stringify(r.variables)}\tpending\t1\n`,
    );
    const chunks: string[] = [];
    for (let i = 0; i < rows.length; i += 2_000) chunks.push(rows.slice(i, i + 2_000).join(''));
    const started = performance.now();
    await client.query('BEGIN');
    await pipeline(
      Readable.from(chunks),
      client.query(
        copyFrom(
          'COPY bench_copy (id, batch_id, seq, phone_number, variables, status, segments) FROM STDIN',
        ),
      ),
    );
    await client.query('COMMIT');
    const elapsed = performance.now() - started;
    await client.query('DROP TABLE bench_copy');
    return elapsed;
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

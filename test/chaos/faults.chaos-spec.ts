// The fault suite (npm run test:chaos; docs/RELIABILITY.md): one API and several worker processes
// of the built service send a batch at a fixed rate while the suite kills workers, freezes one past
// its lease, stops PostgreSQL, kills Redis, cuts the workers' network to PostgreSQL, kills the API
// under idempotent retries and slows the provider. After each: nothing lost, nothing accepted twice
// at the provider, the counters equal a recount, no rate breach, no process exited on its own.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { phoneNumber, recipients, TEMPLATE } from '../factories/batch.factory';
import { api, type ApiClient } from '../support/api';
import type { RunningApp } from '../support/app-process';
import { query } from '../support/database';
import { createBatches } from '../support/dispatch';
import { FakeTwilio } from '../support/fake-twilio';
import { freePort } from '../support/free-port';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import type { TestEnv } from '../support/test-env';
import { waitFor } from '../support/wait';
import { Fleet } from './support/fleet';
import { probeApi, probeProblems, probeSummary, type Probing } from './support/probes';
import { p50, summaryLine, tableRows, writeReport, type ScenarioReport } from './support/report';
import { scenarioChaos, seedFromEnv, type Chaos } from './support/seed';
import { startOwnRedis, type OwnRedis } from '../support/redis-server';
import { createCluster, type PgCluster } from './support/servers';
import {
  recoveries,
  verifyBatch,
  type BatchFindings,
  type Provider,
  type VerifyOptions,
} from './support/verify';

const RATE = 100;
const MESSAGES = 2_000;
const FAULT_MS = 10_000;
/** The issue's target: a batch moves again within 30 s of a fault's end (or a kill). */
const RECOVERY_BOUND_MS = 30_000;
/** From the fault's end, generous: the rest of the batch takes 20 s at most at its rate. */
const FINAL_WITHIN_MS = 90_000;
const PROVIDER_TIMEOUT_MS = 2_000;
/** Defaults, which the suite keeps. */
const BREAKER_COOLDOWN_MS = 30_000;
const IDEMPOTENCY_LEASE_MS = 30_000;

const BASE_ENV = {
  PROVIDER_MAX_MPS: '0',
  RATE_LIMIT_HIGH: String(RATE),
  // Short enough that the slow-provider scenario's calls time out well within its 10 s.
  PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
  TWILIO_LOOKUP_DELAY_MS: '1000',
  DISPATCH_CHUNK_SIZE: '50',
  RETRY_BASE_DELAY_MS: '200',
  RETRY_MAX_DELAY_MS: '2000',
};

const WORKERS = 3;
/** Where a failed scenario leaves its processes' output. */
const OUTPUT_DIR = '/tmp/salvo-chaos';

let seed: number;
/** The running scenario's own draws (scenarioChaos). */
let chaos: Chaos;
let pg: PgCluster;
let redis: OwnRedis;
let key: string;
const reports: ScenarioReport[] = [];
const suiteStarted = Date.now();

beforeAll(async () => {
  seed = seedFromEnv();
  pg = await createCluster();
  redis = await startOwnRedis();
  key = `salvo_test_${randomBytes(24).toString('base64url')}`;
  // app-process.ts and the support modules read where the run is from SALVO_TEST_ENV.
  const env: TestEnv = {
    databaseUrl: pg.url('salvo_chaos'),
    redisUrl: redis.url,
    redisPrefix: 'salvo-chaos',
    bootstrapApiKey: key,
  };
  process.env.SALVO_TEST_ENV = JSON.stringify(env);
}, 120_000);

afterAll(async () => {
  writeReport(seed ?? 0, Date.now() - suiteStarted, reports);
  console.log(`[chaos] seed ${seed}, table rows:\n${tableRows(reports)}`);
  await redis?.close();
  pg?.drop();
});

/** Everything one scenario runs on: its own database, Redis prefix, proxy, provider and fleet. */
interface Stage {
  name: string;
  fleet: Fleet;
  client: ApiClient;
  databaseUrl: string;
  provider: Provider;
  /** Between the workers and PostgreSQL (the API connects directly). */
  proxy: TcpProxy;
}

interface StageOptions {
  provider: 'twilio' | 'simulated';
  workers?: number;
  env?: Record<string, string>;
}

async function openStage(name: string, options: StageOptions): Promise<Stage> {
  const databaseUrl = pg.url(`chaos_${name}`);
  const proxy = await startTcpProxy(pg.port);
  const apiPort = await freePort();
  let provider: Provider = { kind: 'simulated' };
  let providerEnv: Record<string, string> = {};
  if (options.provider === 'twilio') {
    const twilio = new FakeTwilio();
    await twilio.start();
    provider = { kind: 'twilio', twilio };
    providerEnv = {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_BASE_URL: twilio.baseUrl,
      PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    };
  }
  const closeProvider = () => (provider.kind === 'twilio' ? provider.twilio.close() : undefined);
  const fleet = await Fleet.start({
    env: {
      ...BASE_ENV,
      DATABASE_URL: databaseUrl,
      REDIS_PREFIX: `salvo-chaos-${name}`,
      ...providerEnv,
      ...options.env,
    },
    apiPort,
    workers: options.workers ?? WORKERS,
    workerEnv: { DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/chaos_${name}` },
  }).catch(async (error: Error) => {
    await closeProvider();
    await proxy.close();
    throw error;
  });
  // By URL, not by process: a restarted API answers on the same port.
  const client = api({ url: fleet.apiUrl } as RunningApp, key);
  return { name, fleet, client, databaseUrl, provider, proxy };
}

/** Closes everything; answers the processes that had to be SIGKILLed after SIGTERM. */
async function closeStage(stage: Stage): Promise<string[]> {
  const hung = await stage.fleet.stop();
  if (stage.provider.kind === 'twilio') await stage.provider.twilio.close();
  await stage.proxy.close();
  return hung;
}

/** What a scenario hands back to be judged and reported. */
interface Outcome {
  batches: BatchFindings[];
  /** Recovery samples (ms), null where the batch never moved again. */
  recoveryMs: (number | null)[];
  /** Above this a recovery is a finding (RECOVERY_BOUND_MS unless the scenario says why not). */
  recoveryBoundMs?: number;
  /** When the first fault began: the longest pause in acceptances is measured from there. */
  faultStart?: number;
  problems: string[];
}

/** Opens the stage, runs the scenario, always closes; prints and records the summary, then asserts. */
async function scenario(
  name: string,
  options: StageOptions,
  body: (stage: Stage) => Promise<Outcome>,
): Promise<void> {
  const started = Date.now();
  chaos = scenarioChaos(seed, name);
  const stage = await openStage(name, options);
  // The processes' own account of a failure, kept for whoever reads the run.
  const saveOutputs = () => {
    const dir = join(OUTPUT_DIR, name);
    stage.fleet.saveOutputs(dir);
    console.log(`[chaos] ${name}: process output in ${dir}`);
  };
  let outcome!: Outcome;
  try {
    outcome = await body(stage);
    for (const exit of stage.fleet.unexpectedExits()) {
      outcome.problems.push(
        `${exit.role} ${exit.pid} exited (${exit.code ?? exit.signal}) on its own: ${exit.tail}`,
      );
    }
  } catch (error) {
    await closeStage(stage);
    saveOutputs();
    throw error;
  }
  const hung = await closeStage(stage);
  if (hung.length) {
    outcome.problems.push(`not exited 15 s after SIGTERM, SIGKILLed: ${hung.join(', ')}`);
  }
  const report = summarise(name, options.provider, outcome, Date.now() - started);
  reports.push(report);
  console.log(summaryLine(report));
  if (report.problems.length) saveOutputs();
  expect(report.problems).toEqual([]);
}

function summarise(
  name: string,
  provider: string,
  { batches, recoveryMs, recoveryBoundMs = RECOVERY_BOUND_MS, faultStart, problems }: Outcome,
  wallMs: number,
): ScenarioReport {
  const sum = (pick: (b: BatchFindings) => number) => batches.reduce((n, b) => n + pick(b), 0);
  const measured = recoveryMs.filter((ms): ms is number => ms !== null);
  const slow = recoveryMs.filter((ms) => ms === null || ms > recoveryBoundMs);
  const all = [...problems, ...batches.flatMap((b) => b.problems)];
  const failedOther = sum((b) => b.failedOther);
  if (slow.length) {
    all.push(`recovery over ${recoveryBoundMs / 1000} s: ${JSON.stringify(recoveryMs)}`);
  }
  const accepted = batches.flatMap((b) => b.acceptedAt);
  // An unfinished batch has been still from its last acceptance to the check, at least.
  const stalled = batches.filter((b) => b.lost > 0).map((b) => b.checkedAt);
  const pause =
    faultStart === undefined ? null : longestPause(faultStart, [...accepted, ...stalled]);
  return {
    scenario: name,
    provider,
    runs: 1,
    messages: sum((b) => b.messages),
    lost: sum((b) => b.lost),
    duplicates: sum((b) => b.duplicates),
    inDoubt: sum((b) => b.inDoubt),
    inDoubtAccepted: sum((b) => b.inDoubtAccepted),
    failedOther,
    replays: sum((b) => b.replays),
    recoveryMs,
    recoveryP50Ms: p50(measured),
    recoveryMaxMs: measured.length ? Math.max(...measured) : null,
    longestPauseMs: pause,
    wallMs,
    problems: all,
  };
}

/** A high-priority batch of MESSAGES at RATE; answers its id once the provider accepted one. */
async function startBatch({ client }: Stage): Promise<string> {
  const [id] = await createBatches(client, [{ priority: 'high', count: MESSAGES }]);
  await waitFor('the batch to send its first message', async () => {
    const read = await client.get(`/api/batch/${id}`);
    return (
      read.status === 200 &&
      (read.body as { progress: { completed: number } }).progress.completed > 0
    );
  });
  return id;
}

function verifyOptions(stage: Stage, extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    client: stage.client,
    databaseUrl: stage.databaseUrl,
    provider: stage.provider,
    rate: RATE,
    finalWithinMs: FINAL_WITHIN_MS,
    ...extra,
  };
}

/**
 * Checks the batch and measures recovery from each instant in `faultEnds` (the first fault began
 * at `faultStart`).
 */
async function judge(
  stage: Stage,
  batchId: string,
  faultStart: number,
  faultEnds: number[],
  extra: Partial<VerifyOptions> = {},
): Promise<Outcome> {
  const findings = await verifyBatch(batchId, verifyOptions(stage, extra));
  const recoveryMs = recoveries(faultEnds, findings.acceptedAt);
  return { batches: [findings], recoveryMs, faultStart, problems: [] };
}

interface Fault {
  begin: () => void | Promise<void>;
  restore: () => Promise<void>;
}

/** Probing goes on this long after the restore: the moment of recovery (57P03) is probed too. */
const PROBE_AFTER_MS = 5_000;

/**
 * Runs `fault` for FAULT_MS with the API probed throughout and PROBE_AFTER_MS past the restore;
 * `restore` ends it, whatever happened meanwhile. `problems` settles once probing has stopped.
 */
async function outage(
  stage: Stage,
  batchId: string,
  fault: Fault,
): Promise<{ faultStart: number; faultEnd: number; problems: Promise<string[]> }> {
  await sleep(chaos.between(2_000, 5_000));
  const faultStart = Date.now();
  let probing: Probing | undefined;
  let restoreBegan = 0;
  try {
    await fault.begin();
    probing = probeApi(stage.fleet.apiUrl, key, batchId);
    await sleep(FAULT_MS);
  } finally {
    // Not awaited before: a probe in flight must not delay the restore.
    restoreBegan = Date.now();
    await fault.restore().catch(async (error: Error) => {
      await probing?.stop();
      throw error;
    });
  }
  const faultEnd = Date.now();
  const stillProbing = probing; // a const, for the callback below
  const problems = sleep(PROBE_AFTER_MS)
    .then(() => stillProbing.stop())
    .then((answers) => {
      console.log(`[chaos] ${stage.name} while away and after: ${probeSummary(answers)}`);
      // From the restore's start the dependency may answer again: readiness 200 is no finding.
      return probeProblems(answers, restoreBegan - stillProbing.began);
    });
  return { faultStart, faultEnd, problems };
}

/** A batch through an outage of PostgreSQL or Redis, judged with what the API answered meanwhile. */
async function underOutage(
  stage: Stage,
  fault: Fault,
  extra: (faultEnd: number) => Partial<VerifyOptions> = () => ({}),
): Promise<Outcome> {
  const batchId = await startBatch(stage);
  const { faultStart, faultEnd, problems } = await outage(stage, batchId, fault);
  const [outcome, probed] = await Promise.all([
    judge(stage, batchId, faultStart, [faultEnd], extra(faultEnd)),
    problems,
  ]);
  outcome.problems.push(...probed);
  return outcome;
}

describe('the fault suite', () => {
  it('1. workers SIGKILLed five times, 3 s apart (a new one started after each)', () =>
    // One worker until the first kill: the batch's one lane is surely its, so the first kill hits
    // the worker that sends (with three, a random victim missed it in about one run in eight).
    scenario('worker-kills', { provider: 'twilio', workers: 1 }, async (stage) => {
      const batchId = await startBatch(stage);
      const began = Date.now();
      const kills: number[] = [];
      const replacements: Promise<RunningApp>[] = [];
      for (let k = 0; k < 5; k++) {
        const at = began + 1_000 + k * 3_000 + chaos.between(-500, 500);
        await sleep(Math.max(0, at - Date.now()));
        const victim = k === 0 ? stage.fleet.workers[0] : chaos.pick(stage.fleet.workers);
        kills.push(Date.now());
        await stage.fleet.killWorker(victim);
        if (k === 0) {
          // The replacement and the other two, up before the random victims are drawn from them.
          await Promise.all(Array.from({ length: WORKERS }, () => stage.fleet.startWorker()));
        } else {
          replacements.push(stage.fleet.startWorker());
        }
      }
      await Promise.all(replacements);
      const outcome = await judge(stage, batchId, kills[0], kills);
      // Also in the bound over all recoveries; said on its own, it names the kill that matters.
      const [first] = outcome.recoveryMs;
      if (first === null || first > RECOVERY_BOUND_MS) {
        outcome.problems.push(`the kill of the sending worker: recovery ${first} ms`);
      }
      return outcome;
    }));

  // A lease short enough for the suite's time, renewed at the default ratio (15000 / 5000).
  const LEASE_MS = 9_000;
  it('2. a worker SIGSTOPped past its lease, then SIGCONTed: its late writes are refused', () =>
    scenario(
      'worker-freeze',
      {
        provider: 'twilio',
        workers: 1,
        env: { CLAIM_LEASE_MS: String(LEASE_MS), CLAIM_RENEW_MS: String(LEASE_MS / 3) },
      },
      async (stage) => {
        const batchId = await startBatch(stage);
        if (stage.provider.kind !== 'twilio') throw new Error('scenario 2 runs on the fake Twilio');
        const twilio = stage.provider.twilio;
        // Frozen while it is the only worker: the lane and every claim are surely its. A second
        // worker, started after, can send only what it takes over once the lease has run out.
        const [frozen] = stage.fleet.workers;
        await sleep(chaos.between(0, 2_000));
        frozen.process.kill('SIGSTOP');
        const stoppedAt = Date.now();
        const held = await query<{ phone_number: string }>(
          stage.databaseUrl,
          `SELECT phone_number FROM messages WHERE batch_id = $1 AND status = 'sending'`,
          [batchId],
        );
        await stage.fleet.startWorker();
        const before = frozen.output().length;
        await sleep(
          Math.max(0, stoppedAt + LEASE_MS + 3_000 + chaos.between(0, 2_000) - Date.now()),
        );
        const thawedAt = Date.now();
        frozen.process.kill('SIGCONT');
        const outcome = await judge(stage, batchId, stoppedAt, [stoppedAt]);
        // Taken over: accepted while the holder was still frozen. A call the frozen worker had
        // already sent reaches the fake within milliseconds of the freeze, hence the second.
        const heldNumbers = new Set(held.map((r) => r.phone_number));
        const takenOver = twilio.messages.filter((m) => {
          const at = m.dateCreated.getTime();
          return heldNumbers.has(m.to) && at >= stoppedAt + 1_000 && at < thawedAt;
        }).length;
        // What the thawed worker said of its lapsed claims (lines of the pre-call fence, if any).
        const said = frozen
          .output()
          .slice(before)
          .split('\n')
          .slice(0, -1) // the last line may still be on its way
          .filter((line) => line.startsWith('{'))
          .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));
        const refused = said.filter((msg) => /run out|not called|refused/i.test(msg));
        console.log(
          `[chaos] ${stage.name}: ${held.length} messages were sending at the freeze, ` +
            `${takenOver} of them accepted from another worker in the ${thawedAt - stoppedAt} ms it was frozen; ` +
            `after the thaw the frozen worker logged ${said.length} lines, ` +
            `${refused.length} of claims it gave back uncalled${refused.length ? `, e.g. "${refused[0]}"` : ''}`,
        );
        // Its lease ran out and was acted on: a claim it held went to the other worker, or its
        // own fence gave one back on waking.
        if (takenOver === 0 && refused.length === 0) {
          outcome.problems.push(
            `nothing the frozen worker held (${held.length} sending) was taken over, and it gave nothing back after the thaw`,
          );
        }
        return outcome;
      },
    ));

  it('3. PostgreSQL stopped (immediate mode) for 10 s, then started', () =>
    scenario('postgres-stop', { provider: 'twilio' }, (stage) =>
      underOutage(stage, { begin: () => pg.kill(), restore: () => pg.start() }),
    ));

  it('4. Redis killed (no save) for 10 s, then started empty', () =>
    scenario('redis-kill', { provider: 'simulated' }, (stage) =>
      underOutage(
        stage,
        { begin: () => redis.kill(), restore: () => redis.start() },
        (faultEnd) => ({ rateExemptAfter: faultEnd }),
      ),
    ));

  it("5. the workers' connections to PostgreSQL black-holed for 10 s, then restored", () =>
    scenario('postgres-blackhole', { provider: 'twilio' }, async (stage) => {
      const batchId = await startBatch(stage);
      await sleep(chaos.between(2_000, 5_000));
      const faultStart = Date.now();
      stage.proxy.setMode('blackhole');
      await sleep(FAULT_MS);
      stage.proxy.setMode('pass');
      return judge(stage, batchId, faultStart, [Date.now()]);
    }));

  it('6. the API killed while 20 clients post batches with Idempotency-Keys: one batch per key', () =>
    scenario('api-kill', { provider: 'simulated' }, async (stage) => {
      const clients = Array.from({ length: 20 }, (_, i) => i);
      const began = Date.now();
      const posting = clients.map((i) => postUntilCreated(stage, i));
      // Killed while requests are in flight: once the first key is claimed, within the next 300 ms.
      await waitFor('a request to claim its key', () => keysClaimed(stage), { everyMs: 10 });
      await sleep(chaos.between(0, 300));
      const killedAt = Date.now();
      await stage.fleet.killApi();
      await stage.fleet.startApi();
      const answers = await Promise.all(posting);
      const problems = answers.flatMap((a) => a.problems);
      const ids = answers.map((a) => a.id).filter((id): id is string => id !== null);
      const stored = await query<{ id: string }>(stage.databaseUrl, 'SELECT id FROM batches');
      if (new Set(ids).size !== ids.length) problems.push(`two keys got one batch: ${ids.join()}`);
      const extra = stored.filter((b) => !ids.includes(b.id));
      if (extra.length) problems.push(`${extra.length} batches no key answered with (duplicates)`);
      console.log(
        `[chaos] ${stage.name}: killed at +${killedAt - began} ms; attempts per key ` +
          answers.map((a) => a.attempts).join(','),
      );
      // In parallel: one after another, the last would be checked long after its deadline began.
      const batches = await Promise.all(ids.map((id) => verifyBatch(id, verifyOptions(stage))));
      // Recovery here: from the kill to each client's 201. A key whose request died with the API
      // is held until its lease (IDEMPOTENCY_LEASE_MS, 30 s) runs out: retries get 409 until then.
      const recoveryMs = answers.map((a) =>
        a.createdAt === null ? null : Math.max(0, a.createdAt - killedAt),
      );
      const recoveryBoundMs = IDEMPOTENCY_LEASE_MS + 10_000;
      return { batches, recoveryMs, recoveryBoundMs, problems };
    }));

  it('7. the provider slower than PROVIDER_TIMEOUT_MS for 10 s (the paused batch is resumed)', () =>
    scenario('provider-slow', { provider: 'twilio' }, async (stage) => {
      const batchId = await startBatch(stage);
      if (stage.provider.kind !== 'twilio') throw new Error('scenario 7 runs on the fake Twilio');
      const twilio = stage.provider.twilio;
      await sleep(chaos.between(2_000, 5_000));
      const faultStart = Date.now();
      twilio.delayAll(PROVIDER_TIMEOUT_MS + 1_000);
      await sleep(FAULT_MS);
      twilio.delayAll(0);
      const outcome = await judge(stage, batchId, faultStart, [Date.now()], {
        resumeWhenPaused: true,
      });
      // Timeouts open the provider's breaker, which sends nothing until its cooldown
      // (BREAKER_COOLDOWN_MS, 30 s) has passed and a probe call succeeded.
      return { ...outcome, recoveryBoundMs: BREAKER_COOLDOWN_MS + RECOVERY_BOUND_MS };
    }));
});

/** Recipients per client batch: enough that 20 requests overlap the kill. */
const PER_CLIENT = 300;

async function keysClaimed({ databaseUrl }: Stage): Promise<boolean> {
  const [row] = await query<{ n: string }>(
    databaseUrl,
    'SELECT count(*) AS n FROM idempotency_keys',
  );
  return Number(row.n) > 0;
}

interface PostAnswer {
  id: string | null;
  attempts: number;
  createdAt: number | null;
  problems: string[];
}

/**
 * One client: posts its batch under its Idempotency-Key until it gets a 201, retrying connection
 * failures, 5xx and 409 (the key in flight) as a client should. A 500 is retried too, but is a
 * problem: an API restart is a 503 or no answer, never an internal error.
 */
async function postUntilCreated(stage: Stage, i: number): Promise<PostAnswer> {
  const idempotencyKey = `chaos-${stage.name}-${i}`;
  const body = JSON.stringify({
    text: TEMPLATE,
    // Distinct numbers per client (phoneNumber(i) is distinct for i < 1,000,000).
    recipients: recipients(PER_CLIENT).map((r, n) => ({
      ...r,
      phoneNumber: phoneNumber(10_000 + i * PER_CLIENT + n),
    })),
    options: { priority: 'high' },
  });
  const deadline = Date.now() + 75_000;
  let attempts = 0;
  let last = '';
  const problems: string[] = [];
  while (Date.now() < deadline) {
    attempts++;
    try {
      const res = await fetch(`${stage.fleet.apiUrl}/api/batch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const answer = (await res.json().catch(() => ({}))) as { id?: string; error?: string };
      if (res.status === 201) {
        return { id: answer.id ?? null, attempts, createdAt: Date.now(), problems };
      }
      last = `${res.status} ${answer.error ?? ''}`;
      if (res.status === 500) problems.push(`key ${i}: attempt ${attempts} answered ${last}`);
      if (res.status !== 409 && res.status < 500) {
        return {
          id: null,
          attempts,
          createdAt: null,
          problems: [...problems, `key ${i}: ${last}`],
        };
      }
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(300);
  }
  problems.push(`key ${i}: no 201 in 75 s (${last})`);
  return { id: null, attempts, createdAt: null, problems };
}

/** The longest time from `from` without an acceptance, up to the last instant given (ms). */
function longestPause(from: number, acceptedAt: number[]): number | null {
  const times = acceptedAt.filter((t) => t >= from).sort((a, b) => a - b);
  if (!times.length) return null;
  let longest = times[0] - from;
  for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
  return longest;
}

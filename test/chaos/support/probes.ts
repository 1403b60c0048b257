// What a client sees while PostgreSQL or Redis is away: readiness, a read and a write of the API,
// polled until a few seconds after the fault ends. Never 500, never a hang; a 503 says SERVICE_UNAVAILABLE and when to
// come back (Retry-After); readiness says 503 once the loss is noticed.
import { setTimeout as sleep } from 'node:timers/promises';
import { phoneNumber } from '../../factories/batch.factory';

/** Longer than this is a hang, not a bounded wait. */
const PROBE_TIMEOUT_MS = 8_000;
/** Readiness may take this long from the loss to notice it. */
const NOTICE_MS = 3_000;

export interface ProbeAnswer {
  what: 'ready' | 'read' | 'write';
  /** Since polling began, just after the fault did (ms). */
  at: number;
  status: number | 'timeout' | 'no answer';
  retryAfter: string | null;
  code: string | null;
  ms: number;
}

export interface Probing {
  /** When polling began (ms since the epoch): ProbeAnswer.at counts from here. */
  began: number;
  /** Stops polling; answers everything seen. */
  stop(): Promise<ProbeAnswer[]>;
}

/** Polls the API from now (the fault's start) until stopped. */
export function probeApi(apiUrl: string, key: string, batchId: string): Probing {
  const began = Date.now();
  const answers: ProbeAnswer[] = [];
  let running = true;
  let n = 0;
  const auth = { authorization: `Bearer ${key}` };
  const ask = async (what: ProbeAnswer['what'], path: string, init: RequestInit = {}) => {
    const at = Date.now() - began;
    const started = Date.now();
    try {
      const res = await fetch(apiUrl + path, {
        ...init,
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      const text = await res.text();
      let code: string | null = null;
      try {
        code = (JSON.parse(text) as { error?: string }).error ?? null;
      } catch {
        // Not JSON: no code to read.
      }
      answers.push({
        what,
        at,
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        code,
        ms: Date.now() - started,
      });
    } catch (error) {
      const timeout = (error as Error).name === 'TimeoutError';
      const status = timeout ? 'timeout' : 'no answer';
      answers.push({ what, at, status, retryAfter: null, code: null, ms: Date.now() - started });
    }
  };
  // One loop per kind: a request that hangs must not keep the others from being asked.
  const poll = async (next: () => Promise<void>) => {
    while (running) {
      await next();
      await sleep(500);
    }
  };
  const write = () => {
    n++;
    // A recipient of its own per write: a batch created meanwhile sends to nobody the scenario's
    // batch counts.
    const body = {
      text: 'Probe {{n}}',
      recipients: [{ phoneNumber: phoneNumber(900_000 + n), variables: { n: String(n) } }],
      options: { priority: 'low' },
    };
    return ask('write', '/api/batch', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  };
  const loops = Promise.all([
    poll(() => ask('ready', '/health/ready')),
    poll(() => ask('read', `/api/batch/${batchId}`, { headers: auth })),
    poll(write),
  ]);
  return {
    began,
    stop: async () => {
      running = false;
      await loops;
      return answers;
    },
  };
}

/**
 * What was wrong in the answers of one outage, one sentence per kind of wrong answer. From
 * `restoredAt` (ms since polling began: when the restore began) the dependency comes back:
 * readiness may say 200 again, the rest still holds (PostgreSQL in crash recovery answers 57P03,
 * which must not become a 500).
 */
export function probeProblems(answers: ProbeAnswer[], restoredAt: number): string[] {
  const wrong = new Map<string, ProbeAnswer[]>();
  const note = (kind: string, a: ProbeAnswer) => wrong.set(kind, [...(wrong.get(kind) ?? []), a]);
  for (const a of answers) {
    if (typeof a.status !== 'number') note(`${a.what} ${a.status}`, a);
    else if (a.status === 503) {
      if (a.what !== 'ready' && (a.code !== 'SERVICE_UNAVAILABLE' || !a.retryAfter)) {
        note(`${a.what} 503 ${a.code} Retry-After ${a.retryAfter}`, a);
      }
    } else if (a.what === 'ready' && a.at >= NOTICE_MS && a.at < restoredAt) {
      note(`readiness ${a.status} while a dependency is away`, a);
    } else if (a.status >= 500 || (a.what !== 'ready' && a.status >= 300)) {
      note(`${a.what} ${a.status} ${a.code ?? ''}`.trim(), a);
    }
  }
  const problems = [...wrong].map(
    ([kind, seen]) =>
      `${kind} ×${seen.length} (first at +${seen[0].at} ms after ${seen[0].ms} ms, last at +${seen[seen.length - 1].at} ms)`,
  );
  if (!answers.some((a) => a.what === 'ready' && a.status === 503 && a.at < restoredAt)) {
    problems.push('readiness never said 503 during the outage');
  }
  return problems;
}

/** "ready 503×20 (≤ 12 ms), read 200×6 (≤ 1890 ms), ..." for the log. */
export function probeSummary(answers: ProbeAnswer[]): string {
  const tally = new Map<string, { n: number; maxMs: number }>();
  for (const a of answers) {
    const key = `${a.what} ${a.status}`;
    const seen = tally.get(key) ?? { n: 0, maxMs: 0 };
    tally.set(key, { n: seen.n + 1, maxMs: Math.max(seen.maxMs, a.ms) });
  }
  return [...tally].map(([key, { n, maxMs }]) => `${key}×${n} (≤ ${maxMs} ms)`).join(', ');
}

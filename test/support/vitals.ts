// What a user of a running service notices while it is under load: whether /health answers
// promptly, and how much memory the process holds (VmRSS of /proc/<pid>/status).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { send } from './raw-http';

export interface Vitals {
  healthMs: number[];
  /** Probes slower than `slowMs`: when they started and ended (Date.now()). */
  slow: { ms: number; start: number; end: number }[];
  /** When the RSS was seen over `rssLimitBytes`, and how high. */
  rssOver: { at: number; bytes: number }[];
  healthFailures: string[];
  maxRssBytes: number;
  stop(): Promise<void>;
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Probes `/health` every `everyMs` and samples the RSS of `pid` until stopped. */
export function watchVitals(
  baseUrl: string,
  pid: number,
  { everyMs = 100, slowMs = 200, rssLimitBytes = 1024 ** 3 } = {},
): Vitals {
  let running = true;
  const vitals: Vitals = {
    healthMs: [],
    slow: [],
    rssOver: [],
    healthFailures: [],
    maxRssBytes: 0,
    stop: async () => {
      running = false;
      await Promise.all([probing, sampling]);
    },
  };
  const probing = (async () => {
    while (running) {
      const start = Date.now();
      try {
        const answer = await send(baseUrl, { method: 'GET', path: '/health', headers: {} }, 10_000);
        vitals.healthMs.push(answer.ms);
        if (answer.ms > slowMs)
          vitals.slow.push({ ms: Math.round(answer.ms), start, end: Date.now() });
        if (answer.status !== 200) vitals.healthFailures.push(`${answer.status} ${answer.head}`);
      } catch (error) {
        vitals.healthFailures.push((error as Error).message);
      }
      await sleep(everyMs);
    }
  })();
  const sampling = (async () => {
    while (running) {
      try {
        const bytes = rssBytes(pid);
        vitals.maxRssBytes = Math.max(vitals.maxRssBytes, bytes);
        if (bytes > rssLimitBytes) vitals.rssOver.push({ at: Date.now(), bytes });
      } catch {
        // the process is gone: the suite checks that separately
      }
      await sleep(250);
    }
  })();
  return vitals;
}

export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

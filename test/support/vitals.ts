// What a user of a running service notices while it is under load: whether /health answers
// promptly, and how much memory the process holds (VmRSS of /proc/<pid>/status).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Probes GET /health every argv[2] ms until its stdin ends, then prints every probe as JSON. */
const PROBER = `
const http = require('node:http');
const [url, everyMs] = process.argv.slice(1);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const probes = [];
let running = true;
process.stdin.on('end', () => (running = false)).resume();
const probe = () => new Promise((resolve) => {
  const start = Date.now();
  const t0 = performance.now();
  const req = http.get(url + '/health', { agent, timeout: 10000 }, (res) => {
    res.resume();
    res.on('end', () => {
      const ms = performance.now() - t0;
      probes.push(res.statusCode === 200 ? { ms, start, end: Date.now() } : { ms, start, end: Date.now(), fail: 'status ' + res.statusCode });
      resolve();
    });
  });
  req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
  req.on('error', (error) => { probes.push({ ms: 0, start, end: Date.now(), fail: error.message }); resolve(); });
});
(async () => {
  while (running) {
    await probe();
    await new Promise((resolve) => setTimeout(resolve, Number(everyMs)));
  }
  process.stdout.write(JSON.stringify(probes));
  agent.destroy();
})();
`;

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

/** VmRSS, or with `peak` VmHWM (the highest RSS the process ever had), in bytes. */
export function rssBytes(pid: number, { peak = false } = {}): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${peak ? 'VmHWM' : 'VmRSS'}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Probes `/health` every `everyMs` and samples the RSS of `pid` until stopped. */
export function watchVitals(
  baseUrl: string,
  pid: number,
  { everyMs = 20, slowMs = 200, rssLimitBytes = 1024 ** 3 } = {},
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
      try {
        // The peak catches a spike between two samples.
        const peak = rssBytes(pid, { peak: true });
        vitals.maxRssBytes = Math.max(vitals.maxRssBytes, peak);
        if (peak > rssLimitBytes) vitals.rssOver.push({ at: Date.now(), bytes: peak });
      } catch {
        // the process is gone: the suite checks that separately
      }
    },
  };
  // Probed from a process of its own: the fuzzing process builds bodies of megabytes between
  // requests, and probes timed on its event loop would measure that rather than the service.
  const prober = spawn(process.execPath, ['-e', PROBER, baseUrl, String(everyMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  prober.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const probing = (async () => {
    await once(prober, 'spawn');
    while (running) await sleep(50);
    prober.stdin.end();
    await once(prober, 'exit');
    const probes = JSON.parse(output) as {
      ms: number;
      start: number;
      end: number;
      fail?: string;
    }[];
    for (const probe of probes) {
      if (probe.fail) {
        vitals.healthFailures.push(probe.fail);
        continue;
      }
      vitals.healthMs.push(probe.ms);
      if (probe.ms > slowMs)
        vitals.slow.push({ ms: Math.round(probe.ms), start: probe.start, end: probe.end });
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

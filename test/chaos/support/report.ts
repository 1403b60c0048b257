// The per-scenario summary: printed as one line and written to chaos-report.json, which
// docs/RELIABILITY.md's table is filled from.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageCounts } from './verify';

export interface ScenarioReport extends MessageCounts {
  scenario: string;
  provider: string;
  runs: number;
  recoveryMs: (number | null)[];
  recoveryP50Ms: number | null;
  recoveryMaxMs: number | null;
  /** The longest time without an acceptance from the first fault on (null where not measured). */
  longestPauseMs: number | null;
  wallMs: number;
  problems: string[];
}

export const REPORT_FILE = join(__dirname, '..', '..', '..', 'chaos-report.json');

/** The median (lower middle of an even count); null for no samples. */
export function p50(samples: number[]): number | null {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function summaryLine(r: ScenarioReport): string {
  const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);
  return (
    `[chaos] ${r.scenario} (${r.provider}): runs ${r.runs}, messages ${r.messages}, lost ${r.lost}, ` +
    `duplicates ${r.duplicates}, replays ${r.replays}, in doubt ${r.inDoubt} ` +
    `(${r.inDoubtAccepted} accepted), failed other ${r.failedOther}, ` +
    `recovery p50 ${seconds(r.recoveryP50Ms)} max ${seconds(r.recoveryMaxMs)}, ` +
    `longest pause ${seconds(r.longestPauseMs)}, ` +
    `${r.problems.length ? `FAILED: ${r.problems.join('; ')}` : 'ok'} (${seconds(r.wallMs)})`
  );
}

/** The code the run tested, read when the suite starts (a commit made meanwhile is not it). */
const COMMIT = ((): string => {
  try {
    const args = ['describe', '--always', '--dirty', '--abbrev=7'];
    return execFileSync('git', args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

export function writeReport(seed: number, wallMs: number, scenarios: ScenarioReport[]): void {
  const report = { seed, commit: COMMIT, at: new Date().toISOString(), wallMs, scenarios };
  writeFileSync(REPORT_FILE, JSON.stringify(report, null, 2) + '\n');
}

/** The simulator's ledger cannot accept a key twice: what it can show is Salvo calling again. */
function duplicates(r: ScenarioReport): string {
  return r.provider === 'simulated' ? `n/a (ledger; ${r.replays} replays)` : String(r.duplicates);
}

/** docs/RELIABILITY.md's table rows for this run, to paste. */
export function tableRows(scenarios: ScenarioReport[]): string {
  const seconds = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(1));
  return scenarios
    .map(
      (r) =>
        `| ${r.scenario} | ${r.provider} | ${r.runs} | ${r.messages} | ${r.lost} | ${duplicates(r)} | ` +
        `${r.inDoubt} | ${seconds(r.recoveryP50Ms)} | ${seconds(r.recoveryMaxMs)} | ` +
        `${seconds(r.longestPauseMs)} | ${r.problems.length ? 'fail' : 'pass'} |`,
    )
    .join('\n');
}

// Runs the built service (dist/main.js) as a real process, as a user would, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { testEnv } from './test-env';

const DIST = join(__dirname, '..', '..', 'dist');
const MAIN = join(DIST, 'main.js');

export interface RunningApp {
  url: string;
  process: ChildProcess;
  /** Everything the process printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, and SIGKILL if it has not exited STOP_GRACE_MS later; answers which it took. */
  stop(): Promise<'exited' | 'killed'>;
}

/** How long stop() waits after SIGTERM before it SIGKILLs: a hung drain must not hang a suite. */
const STOP_GRACE_MS = 15_000;

/** The environment of a test service: the run's database, Redis prefix and bootstrap key. */
export function appEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = testEnv();
  const merged: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    PORT: '0',
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.redisPrefix,
    BOOTSTRAP_API_KEY: env.bootstrapApiKey,
    // Off in the harness: a suite's traffic would otherwise trip them. The throttling tests set
    // them on apps of their own.
    AUTH_FAILURES_PER_MINUTE: '0',
    REQUESTS_PER_MINUTE: '0',
    BATCHES_PER_MINUTE: '0',
    ...overrides,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

interface NodeProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function runNode(script: string, args: string[], env: NodeJS.ProcessEnv): NodeProcess {
  const child = spawn(process.execPath, [script, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
}

export async function startApp(
  overrides: Record<string, string | undefined> = {},
): Promise<RunningApp> {
  const { child, output, exited } = runNode(MAIN, [], appEnv(overrides));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The service did not start in 30 s:\n${output()}`)),
      30_000,
    );
    // Removed once found: run on every later chunk, it would rescan the whole output each time.
    const listening = () => {
      const match = /listening on port (\d+)/.exec(output());
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', listening);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', listening);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The service exited with code ${code} before listening:\n${output()}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return 'exited';
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'killed'>((resolve) => {
        timer = setTimeout(() => resolve('killed'), STOP_GRACE_MS);
      });
      const how = await Promise.race([exited.then(() => 'exited' as const), late]);
      clearTimeout(timer);
      if (how === 'killed') {
        child.kill('SIGKILL');
        await exited;
      }
      return how;
    },
  };
}

export type LogLine = Record<string, unknown>;

/** The service's JSON log lines so far; complete lines only, the last one may still be on its way. */
export function logLines(app: RunningApp): LogLine[] {
  return app
    .output()
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Runs the service expecting it to refuse to start; resolves with its exit code and output. */
export async function runUntilExit(
  overrides: Record<string, string | undefined>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = runNode(MAIN, [], appEnv(overrides));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return { code, output: output() };
}

/** Runs `npm run account:create`'s compiled script; returns the key from its last line. */
export async function createAccount(
  name: string,
  databaseUrl = testEnv().databaseUrl,
): Promise<{ key: string; output: string }> {
  const cli = join(DIST, 'accounts', 'create-account.cli.js');
  const { output, exited } = runNode(cli, [name], appEnv({ DATABASE_URL: databaseUrl }));
  const code = await exited;
  if (code !== 0) throw new Error(`account:create failed (${code}):\n${output()}`);
  const lines = output().trimEnd().split('\n');
  return { key: lines[lines.length - 1], output: output() };
}

/** Runs `npm run account:set`'s compiled script; answers its exit code and output. */
export async function setAccount(
  args: string[],
  databaseUrl = testEnv().databaseUrl,
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; output: string }> {
  const cli = join(DIST, 'accounts', 'set-account.cli.js');
  const { output, exited } = runNode(cli, args, appEnv({ ...env, DATABASE_URL: databaseUrl }));
  const code = await exited;
  return { code, output: output() };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout (where `key:create` prints the key alone). */
  lastLine: string;
}

/** Runs the compiled `npm run key:*` script: `key:create` is `runKeysCli(['create', ...])`. */
export async function runKeysCli(
  args: string[],
  overrides: Record<string, string | undefined> = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [join(DIST, 'accounts', 'keys.cli.js'), ...args], {
    env: appEnv(overrides),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': by then both pipes are drained.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = stdout.trimEnd().split('\n');
  return { code, stdout, stderr, lastLine: lines[lines.length - 1] };
}

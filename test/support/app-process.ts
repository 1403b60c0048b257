// Runs the built service (dist/main.js) as a real process, as a user would, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { testEnv } from './test-env';

const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');

export interface RunningApp {
  url: string;
  process: ChildProcess;
  /** Everything the process printed so far, stdout and stderr interleaved. */
  output(): string;
  stop(): Promise<void>;
}

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
    ...overrides,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return merged;
}

export async function startApp(
  overrides: Record<string, string | undefined> = {},
): Promise<RunningApp> {
  const child = spawn(process.execPath, [MAIN], {
    env: appEnv(overrides),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The service did not start in 30 s:\n${output}`)),
      30_000,
    );
    const onData = () => {
      const match = /listening on port (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`The service exited with code ${code} before listening:\n${output}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the service expecting it to refuse to start; resolves with its exit code and output. */
export async function runUntilExit(
  overrides: Record<string, string | undefined>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: appEnv(overrides),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

/** Runs `npm run account:create`'s compiled script; returns the key from its last line. */
export async function createAccount(
  name: string,
  databaseUrl = testEnv().databaseUrl,
): Promise<{ key: string; output: string }> {
  const child = spawn(
    process.execPath,
    [join(__dirname, '..', '..', 'dist', 'accounts', 'create-account.cli.js'), name],
    {
      env: appEnv({ DATABASE_URL: databaseUrl }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`account:create failed (${code}):\n${output}`);
  const lines = output.trimEnd().split('\n');
  return { key: lines[lines.length - 1], output };
}

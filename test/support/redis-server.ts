// A Redis server of a test's own, on a free loopback port, that the test may kill and start again
// (empty: it keeps nothing on disk) without touching the machine's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { waitFor } from './wait';

export interface OwnRedis {
  port: number;
  url: string;
  /** Kills the server at once (SIGKILL): its data is gone. */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Kills it for good and removes its directory. */
  close(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'salvo-redis-'));
  let server: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server = child;
    await waitFor(
      `redis-server on port ${port}`,
      () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
        return Promise.resolve(output.includes('Ready to accept connections') || undefined);
      },
      { timeoutMs: 10_000, everyMs: 20 },
    );
  };
  const kill = async () => {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

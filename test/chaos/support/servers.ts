// The fault suite's own PostgreSQL cluster and Redis server on spare ports, which it stops, kills
// and restarts; the machine's (5432, 6379) are never touched. pg_createcluster needs root (initdb
// refuses it) and PostgreSQL 15's binaries; redis-server must be on the PATH.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../support/free-port';
import { waitFor } from '../../support/wait';

const PG_VERSION = '15';
/** One cluster per run, named after the suite's process: two runs on one machine do not meet. */
const CLUSTER_PREFIX = 'salvo_chaos_';
const CLUSTER = `${CLUSTER_PREFIX}${process.pid}`;

export interface PgCluster {
  port: number;
  /** A database on this cluster (created by the service on start). */
  url(database: string): string;
  /** `pg_ctlcluster stop -m immediate`: every backend killed at once, crash recovery on start. */
  kill(): void;
  start(): Promise<void>;
  drop(): void;
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function dropCluster(name: string): void {
  try {
    run('pg_dropcluster', ['--stop', PG_VERSION, name]);
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Drops the clusters earlier runs left behind when they crashed (their process is gone). */
function dropLeftovers(): void {
  const names = run('pg_lsclusters', ['-h'])
    .split('\n')
    .map((line) => line.split(/\s+/))
    .filter(([version, name]) => version === PG_VERSION && name?.startsWith(CLUSTER_PREFIX))
    .map(([, name]) => name);
  for (const name of names) {
    const pid = Number(name.slice(CLUSTER_PREFIX.length));
    if (name === CLUSTER || !alive(pid)) dropCluster(name);
  }
}

export async function createCluster(): Promise<PgCluster> {
  dropLeftovers();
  const port = await freePort();
  run('pg_createcluster', [
    PG_VERSION,
    CLUSTER,
    '-p',
    String(port),
    // Throwaway data: no fsync (an immediate stop kills processes, not the machine, so committed
    // WAL is still in the page cache); room for one API, several workers and the suite.
    '-o',
    'fsync=off',
    '-o',
    'max_connections=300',
    '--',
    '--auth-host=trust',
    '--auth-local=trust',
  ]);
  const ctl = (...args: string[]) =>
    run('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, CLUSTER, ...args]);
  const cluster: PgCluster = {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    kill: () => void ctl('stop', '-m', 'immediate'),
    start: async () => {
      ctl('start');
      await waitFor('the chaos cluster to accept connections', () => {
        try {
          run('pg_isready', ['-h', '127.0.0.1', '-p', String(port)]);
          return Promise.resolve(true);
        } catch {
          return Promise.resolve(false);
        }
      });
    },
    drop: () => dropCluster(CLUSTER),
  };
  try {
    await cluster.start();
  } catch (error) {
    cluster.drop();
    throw error;
  }
  return cluster;
}

export interface RedisServer {
  port: number;
  url: string;
  /** SIGKILL: nothing saved (started with --save "" --appendonly no). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    start: async () => {
      const process = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = process;
      exited = new Promise((resolve) => process.once('exit', () => resolve()));
      let output = '';
      process.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      process.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(`redis-server on ${port}`, () =>
        Promise.resolve(output.includes('Ready to accept connections')),
      );
    },
    kill: async () => {
      child?.kill('SIGKILL');
      await exited;
    },
  };
  await server.start();
  return server;
}

// The fault suite's own PostgreSQL cluster on a spare port, which it stops, kills and restarts; the
// machine's (5432) is never touched. pg_createcluster needs root (initdb refuses it) and PostgreSQL
// 15's binaries. Its Redis server is test/support/redis-server.ts's.
import { execFileSync } from 'node:child_process';
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

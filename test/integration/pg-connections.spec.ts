// The service's pg pools on the machine's PostgreSQL, reached through the loopback proxy: a query
// that gets no answer in time fails, and its connection is closed rather than handed to the next
// user with the transaction it left open.
import { Client, Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundedPoolOptions } from '../../src/database/pg-connections';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { scratchDatabaseUrl } from '../support/test-env';

const QUERY_TIMEOUT_MS = 300;

/** The server's maintenance database, through the proxy: these tests write nothing. */
function proxiedUrl(proxy: TcpProxy): string {
  const url = new URL(scratchDatabaseUrl('pg'));
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  url.pathname = '/postgres';
  return url.toString();
}

describe('bounded pg pools', () => {
  let proxy: TcpProxy;
  const pools: Pool[] = [];

  beforeAll(async () => {
    const server = new URL(scratchDatabaseUrl('pg'));
    proxy = await startTcpProxy(Number(server.port || 5432), server.hostname);
  });
  afterEach(async () => {
    proxy.setMode('pass');
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });
  afterAll(() => proxy.close());

  function newPool(options: { unboundedQueries?: boolean } = {}): Pool {
    const config = {
      url: proxiedUrl(proxy),
      poolSize: 1,
      connectTimeoutMs: 1_000,
      queryTimeoutMs: QUERY_TIMEOUT_MS,
    };
    const pool = new Pool({
      connectionString: config.url,
      max: 1,
      ...boundedPoolOptions(config, options),
    });
    pool.on('error', () => undefined);
    pools.push(pool);
    return pool;
  }

  it('a query the network holds fails in time, and its transaction is not handed on', async () => {
    const pool = newPool();
    const client = await pool.connect();
    await client.query('BEGIN');
    const { rows } = await client.query<{ xid: string }>('SELECT txid_current() AS xid');
    proxy.setMode('blackhole');
    const started = Date.now();
    await expect(client.query('SELECT 1')).rejects.toThrow('Query read timeout');
    expect(Date.now() - started).toBeLessThan(QUERY_TIMEOUT_MS + 1_000);
    // Not queued behind the held query (which would wait its own timeout, then leave the
    // transaction open): refused at once.
    const rollingBack = Date.now();
    await expect(client.query('ROLLBACK')).rejects.toThrow(/not queryable/);
    expect(Date.now() - rollingBack).toBeLessThan(QUERY_TIMEOUT_MS);
    client.release();
    proxy.setMode('pass');
    // The pool's only place: a new connection, outside any transaction.
    const next = await pool.query<{ xid: string | null }>(
      'SELECT txid_current_if_assigned() AS xid',
    );
    expect(next.rows[0].xid).toBeNull();
    expect(rows[0].xid).not.toBeNull();
  });

  it('no connection to be had fails within the connect timeout', async () => {
    proxy.setMode('blackhole');
    const started = Date.now();
    await expect(newPool().query('SELECT 1')).rejects.toThrow(/timeout/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('the server stops a statement the client gave up on, rather than running it on', async () => {
    const marker = `abandoned-${process.pid}-${Date.now()}`;
    await expect(newPool().query(`SELECT pg_sleep(5), '${marker}'`)).rejects.toThrow(
      'Query read timeout',
    );
    // Closing the connection does not stop a running query; statement_timeout does, a second later.
    await sleep(QUERY_TIMEOUT_MS + 1_500);
    const direct = new Client({
      connectionString: scratchDatabaseUrl('pg').replace(/\/[^/]*$/, '/postgres'),
    });
    await direct.connect();
    try {
      const { rows } = await direct.query(
        `SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
        [`%${marker}%`],
      );
      expect(rows).toEqual([]);
    } finally {
      await direct.end();
    }
  });

  it('a long statement is cut only where queries are bounded (not for migrations)', async () => {
    const sleep = `SELECT pg_sleep(${(QUERY_TIMEOUT_MS * 2) / 1000})`;
    await expect(newPool().query(sleep)).rejects.toThrow('Query read timeout');
    await expect(newPool({ unboundedQueries: true }).query(sleep)).resolves.toMatchObject({
      rowCount: 1,
    });
  });
});

// How Salvo's pg pools connect: every wait bounded, so PostgreSQL out of reach is an error within
// seconds (which the API answers 503) rather than a request or a sweep that hangs.
import { Client, type ClientConfig } from 'pg';
import type { DatabaseConfig } from '../config/configuration';

/** pg's error for a query past query_timeout. */
const QUERY_READ_TIMEOUT = 'Query read timeout';

/**
 * A pg client that closes its connection when a query runs past query_timeout. pg rejects that
 * query but keeps the connection, the query still on it: back in the pool, the next statements
 * would queue behind it, or, once the network is back, run inside the transaction it left open.
 * Closed, what comes after it (a ROLLBACK too) fails at once and the pool drops the client.
 */
export class ClosingOnTimeoutClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => this.watch(query(...args), args[0])) as Client['query'];
  }

  /** Promise queries (TypeORM's) reject with the timeout; submitted ones (a COPY) emit it. */
  private watch(result: unknown, config: unknown): unknown {
    const closeIfTimedOut = (error: unknown) => {
      if ((error as Error | undefined)?.message === QUERY_READ_TIMEOUT) {
        this.end().catch(() => undefined);
      }
    };
    if (result instanceof Promise) result.catch(closeIfTimedOut);
    else if (isSubmittedStream(config)) config.once('error', closeIfTimedOut);
    return result;
  }
}

function isSubmittedStream(
  config: unknown,
): config is { once(event: 'error', listener: (error: unknown) => void): void } {
  const candidate = config as { submit?: unknown; once?: unknown } | null;
  return typeof candidate?.submit === 'function' && typeof candidate.once === 'function';
}

/** How long a connection is silent before TCP asks whether its peer is still there. */
const KEEP_ALIVE_DELAY_MS = 10_000;

/** How much longer than the client's wait PostgreSQL lets a statement run. */
const SERVER_GRACE_MS = 1_000;

/**
 * The pool options that bound every wait: for a connection (DATABASE_CONNECT_TIMEOUT_MS) and,
 * unless `unboundedQueries` (migrations, which may rightly run for minutes), for each answer
 * (DATABASE_QUERY_TIMEOUT_MS). The server stops such a statement a moment after the client gave
 * up on it (statement_timeout): closing the connection alone does not stop a running query, and
 * abandoned ones would pile up on the server. TCP keep-alive lets a connection whose peer
 * vanished fail rather than wait on it for ever.
 */
export function boundedPoolOptions(
  config: DatabaseConfig,
  { unboundedQueries = false } = {},
): {
  Client: typeof Client;
  connectionTimeoutMillis: number;
  keepAlive: boolean;
  keepAliveInitialDelayMillis: number;
  query_timeout?: number;
  statement_timeout?: number;
} {
  const queryTimeoutMs = unboundedQueries ? 0 : config.queryTimeoutMs;
  return {
    Client: ClosingOnTimeoutClient,
    connectionTimeoutMillis: config.connectTimeoutMs,
    keepAlive: true,
    // The OS's default first probe comes after two hours.
    keepAliveInitialDelayMillis: KEEP_ALIVE_DELAY_MS,
    ...(queryTimeoutMs > 0
      ? { query_timeout: queryTimeoutMs, statement_timeout: queryTimeoutMs + SERVER_GRACE_MS }
      : {}),
  };
}

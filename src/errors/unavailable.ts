// Which errors say that PostgreSQL or Redis is out of reach rather than that Salvo has a bug: the
// API answers those 503 SERVICE_UNAVAILABLE with Retry-After instead of a logged 500, and the
// periodic tasks log them as one line instead of a stack trace.
import { DomainError } from './domain-error';

/** Seconds a client is told to wait while PostgreSQL or Redis is out of reach. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Node's socket errors: the server refused or reset the connection, or the network has no route. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL's SQLSTATEs of a server going away: 57P01 admin shutdown, 57P02 crash shutdown,
 * 57P03 cannot connect now (starting or stopping), 53300 too many connections; class 08 (below) is
 * every connection exception.
 */
const PG_CODES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What node-postgres, pg-pool, ioredis and withTimeout say when they gave up on the server. */
const MESSAGES: readonly RegExp[] = [
  // pg: the socket closed under a client, or its connection attempt ran out of time.
  /^Connection terminated/,
  // pg-pool: no connection within connectionTimeoutMillis (DATABASE_CONNECT_TIMEOUT_MS).
  /^timeout exceeded when trying to connect$/,
  // pg: no answer within query_timeout (DATABASE_QUERY_TIMEOUT_MS).
  /^Query read timeout$/,
  // pg: a query on a client whose connection failed or was closed.
  /is not queryable$/,
  // ioredis: a command on a client that disconnected, or one that waited past commandTimeout.
  /^Connection is closed\.$/,
  /^Command timed out$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  // Redis answers while it loads its data set after a restart.
  /^LOADING /,
];

/**
 * Errors whose name says it all: ioredis gave up after maxRetriesPerRequest reconnections, TypeORM
 * has no pool, withTimeout (common/with-timeout.ts) saw no answer from a dependency in time (its
 * own name: AbortSignal.timeout's 'TimeoutError', around provider calls, is not one of these).
 */
const NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ConnectionIsNotSetError',
  'DependencyTimeoutError',
]);

/** How deep the chain of causes is followed (a cycle ends here too). */
const MAX_DEPTH = 5;

/**
 * Whether `error`, or what it wraps (`cause`, TypeORM's `driverError`, an AggregateError's
 * `errors`), says PostgreSQL or Redis could not be reached or did not answer in time.
 */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > MAX_DEPTH) return false;
  const { code, driverError, cause, errors } = error as Error & {
    code?: unknown;
    driverError?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || isPgUnavailable(code))) return true;
  if (NAMES.has(error.name) || MESSAGES.some((pattern) => pattern.test(error.message))) {
    return true;
  }
  const wrapped = [driverError, cause, ...(Array.isArray(errors) ? (errors as unknown[]) : [])];
  return wrapped.some((inner) => isUnavailable(inner, depth + 1));
}

/**
 * PostgreSQL's SQLSTATEs of a statement worth running again as it is: class 40 (deadlock,
 * serialization), class 53 (out of resources), 55P03 lock not available, 57014 cancelled (a
 * statement timeout), 25006 read-only (a failover to a standby).
 */
const PG_TRANSIENT = /^(40|53)|^(55P03|57014|25006)$/;

/**
 * Whether a write that failed with `error` may succeed when tried again as it is: PostgreSQL or
 * Redis out of reach, or a passing state of the server. Data errors (classes 22, 23) never do.
 */
export function isTransient(error: unknown, depth = 0): boolean {
  if (depth === 0 && isUnavailable(error)) return true;
  if (!(error instanceof Error) || depth > MAX_DEPTH) return false;
  const { code, driverError, cause } = error as Error & { code?: unknown; driverError?: unknown };
  if (typeof code === 'string' && PG_TRANSIENT.test(code)) return true;
  return [driverError, cause].some((inner) => isTransient(inner, depth + 1));
}

function isPgUnavailable(code: string): boolean {
  return code.startsWith('08') || PG_CODES.has(code);
}

/** The 503 to answer for an error that `isUnavailable`; undefined for any other. */
export function asServiceUnavailable(error: unknown): DomainError | undefined {
  if (error instanceof DomainError || !isUnavailable(error)) return undefined;
  return new DomainError(
    'SERVICE_UNAVAILABLE',
    'The service cannot reach its database or Redis for a moment; retry after Retry-After.',
    undefined,
    { cause: error, retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
  );
}

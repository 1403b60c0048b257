// Which errors answer 503 (PostgreSQL or Redis out of reach) and which stay a logged 500 (a bug),
// on errors built as node-postgres, TypeORM and ioredis build them.
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { DatabaseError } from 'pg';
import { ConnectionIsNotSetError, QueryFailedError } from 'typeorm';
import { DomainError } from './domain-error';
import {
  asServiceUnavailable,
  isTransient,
  isUnavailable,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
} from './unavailable';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function pgError(code: string, message = 'server says no'): DatabaseError {
  return Object.assign(new DatabaseError(message, 0, 'error'), { code });
}

function queryFailed(driverError: Error): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], driverError);
}

describe('isUnavailable', () => {
  it.each<[string, unknown]>([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a socket timeout', withCode('connect ETIMEDOUT 10.0.0.1:5432', 'ETIMEDOUT')],
    ['pg: the server went away', new Error('Connection terminated unexpectedly')],
    ['pg: no connection in time', new Error('Connection terminated due to connection timeout')],
    ['pg-pool: no connection in time', new Error('timeout exceeded when trying to connect')],
    ['pg: no answer within query_timeout', new Error('Query read timeout')],
    ['pg: a closed client', new Error('Client was closed and is not queryable')],
    [
      'pg: admin shutdown (57P01)',
      pgError('57P01', 'terminating connection due to administrator command'),
    ],
    ['pg: crash shutdown (57P02)', pgError('57P02')],
    ['pg: starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['pg: too many connections (53300)', pgError('53300')],
    ['pg: a connection exception (08006)', pgError('08006')],
    ['TypeORM wrapping a reset', queryFailed(withCode('read ECONNRESET', 'ECONNRESET'))],
    ['TypeORM wrapping a shutdown', queryFailed(pgError('57P01'))],
    ['TypeORM without a pool', new ConnectionIsNotSetError('postgres')],
    ['ioredis: closed', new Error('Connection is closed.')],
    ['ioredis: out of retries', new MaxRetriesPerRequestError(3)],
    ['ioredis: commandTimeout', new Error('Command timed out')],
    ['Redis loading its data', new Error('LOADING Redis is loading the dataset in memory')],
    // common/with-timeout.ts's, which errors/ may not import.
    [
      'withTimeout',
      Object.assign(new Error('no answer within 1000 ms'), { name: 'DependencyTimeoutError' }),
    ],
    [
      'a cause two levels down',
      new Error('outer', { cause: new Error('mid', { cause: new MaxRetriesPerRequestError(1) }) }),
    ],
    [
      'an AggregateError of refusals',
      new AggregateError([withCode('a', 'ECONNREFUSED')], 'connect'),
    ],
  ])('%s: yes', (_case, error) => {
    expect(isUnavailable(error)).toBe(true);
  });

  const cyclic = new Error('cyclic');
  (cyclic as { cause?: unknown }).cause = cyclic;

  it.each<[string, unknown]>([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['pg: a unique violation', pgError('23505')],
    ['pg: a syntax error', pgError('42601')],
    ['pg: a statement cancelled by statement_timeout', pgError('57014')],
    ['TypeORM wrapping a unique violation', queryFailed(pgError('23505'))],
    ['a Redis script error', new Error('ERR Error running script')],
    // AbortSignal.timeout's, around provider calls: the provider, not a dependency, was slow.
    ['a provider call timed out', new DOMException('The operation timed out.', 'TimeoutError')],
    ['a cycle of causes', cyclic],
    ['a string', 'ECONNRESET'],
    ['nothing', undefined],
  ])('%s: no', (_case, error) => {
    expect(isUnavailable(error)).toBe(false);
  });
});

describe('asServiceUnavailable', () => {
  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, keeping the cause', () => {
    const cause = queryFailed(new Error('Connection terminated unexpectedly'));
    const answer = asServiceUnavailable(cause);
    expect(answer).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
      cause,
    });
  });

  it('leaves domain errors and bugs alone', () => {
    expect(asServiceUnavailable(new DomainError('NOT_FOUND', 'No.'))).toBeUndefined();
    expect(asServiceUnavailable(new Error('boom'))).toBeUndefined();
  });
});

describe('isTransient', () => {
  const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
  const wrapped = (inner: Error) =>
    Object.assign(new Error('query failed'), { driverError: inner });

  it.each(['40P01', '40001', '53200', '55P03', '57014', '25006'])(
    'a write failing with %s may succeed as it is later',
    (code) => expect(isTransient(wrapped(pgError(code)))).toBe(true),
  );

  it('so may one failing because PostgreSQL is out of reach', () => {
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it.each(['22021', '23505', '42601'])('a write failing with %s never will', (code) => {
    expect(isTransient(wrapped(pgError(code)))).toBe(false);
  });
});

import { Logger } from '@nestjs/common';
import type { DispatchConfig } from '../../config/configuration';
import type { MetricsService } from '../../metrics/metrics.service';
import type { BatchService } from '../batch.service';
import type { BatchEvents } from '../events/batch-events';
import type { ClaimLeases } from './claim-leases.service';
import type { DispatchRepository, MessageResult, WriteOutcome } from './dispatch.repository';
import { ResultWriterService } from './result-writer.service';

const NOTHING: WriteOutcome = {
  batches: [],
  transitioned: [],
  appeared: [],
  receipts: { applied: [] },
} as unknown as WriteOutcome;

const result = (seq: number) => ({ batchId: 'b1', seq, token: 1 }) as unknown as MessageResult;

/** A writer over a repository whose writes fail as `fails` says, recording what was written. */
function writerWith(fails: (results: MessageResult[]) => Error | undefined) {
  const written: number[][] = [];
  const repository = {
    writeResults: jest.fn((results: MessageResult[]) => {
      const error = fails(results);
      if (error) return Promise.reject(error);
      written.push(results.map((r) => r.seq));
      return Promise.resolve(NOTHING);
    }),
  };
  const leases = { forget: jest.fn() };
  const writer = new ResultWriterService(
    repository as unknown as DispatchRepository,
    { announce: () => Promise.resolve() } as unknown as BatchService,
    { errorAppeared: jest.fn(), progressed: jest.fn() } as unknown as BatchEvents,
    { receiptApplied: jest.fn() } as unknown as MetricsService,
    { flushIntervalMs: 10 } as DispatchConfig,
    leases as unknown as ClaimLeases,
  );
  return { writer, written, leases };
}

describe('ResultWriterService', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('one result that can never be written does not hold up the others: they are written one by one, it is dropped', async () => {
    const { writer, written, leases } = writerWith((results) =>
      results.some((r) => r.seq === 2)
        ? new Error('invalid byte sequence for encoding')
        : undefined,
    );
    [1, 2, 3].forEach((seq) => writer.add(result(seq)));
    await writer.flush();
    expect(written).toEqual([[1], [3]]);
    // Every claim is done with: the dropped one runs out and is taken over.
    expect(
      leases.forget.mock.calls
        .flat(2)
        .map((r: MessageResult) => r.seq)
        .sort(),
    ).toEqual([1, 2, 3]);
    writer.add(result(4));
    await writer.flush();
    expect(written).toEqual([[1], [3], [4]]);
    writer.onApplicationShutdown();
  });

  it.each([
    ['PostgreSQL is away', new Error('Connection terminated unexpectedly')],
    [
      'PostgreSQL is read-only (a failover)',
      Object.assign(new Error('read-only'), { code: '25006' }),
    ],
    ['a deadlock', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
  ])(
    'while %s, results are kept (their claims held) and written once it passes',
    async (_case, failure) => {
      let away = true;
      const { writer, written, leases } = writerWith(() => (away ? failure : undefined));
      [1, 2].forEach((seq) => writer.add(result(seq)));
      await writer.flush();
      expect(written).toEqual([]);
      expect(leases.forget).not.toHaveBeenCalled();
      away = false;
      await writer.flush();
      expect(written).toEqual([[1, 2]]);
      writer.onApplicationShutdown();
    },
  );
});

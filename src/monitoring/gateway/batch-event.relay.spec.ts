import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import type { Namespace } from 'socket.io';
import type { BatchService, OwnedStatus } from '../../batch/batch.service';
import type { BatchStatusDto } from '../../batch/dto/batch-status.dto';
import type { DispatchConfig } from '../../config/configuration';
import type { ErrorLogService } from '../../errors/error-log/error-log.service';
import type { MetricsService } from '../../metrics/metrics.service';
import { NOTICE_EVENT, type BatchNotice } from '../../batch/events/batch-notices';
import { BatchEventRelay } from './batch-event.relay';

const ID = 'b1';
const ACCOUNT = 'a1';

/** A namespace with the rooms a socket joined, recording what the relay emits. */
function fakeNamespace(rooms: string[]) {
  const emitted: { event: string; rooms: string[]; payload: BatchStatusDto; at: number }[] = [];
  let onNotice: (notice: BatchNotice) => void = () => undefined;
  const nsp = {
    adapter: { rooms: new Map(rooms.map((room) => [room, new Set(['socket'])])) },
    on: (event: string, listener: (notice: BatchNotice) => void) => {
      if (event === NOTICE_EVENT) onNotice = listener;
    },
    local: {
      to: (targets: string[]) => ({
        emit: (event: string, payload: BatchStatusDto) =>
          emitted.push({ event, rooms: targets, payload, at: Date.now() }),
      }),
    },
  };
  return { nsp: nsp as unknown as Namespace, emitted, notify: (n: BatchNotice) => onNotice(n) };
}

function status(completed: number, state: BatchStatusDto['status'] = 'processing') {
  return {
    id: ID,
    status: state,
    progress: { total: 100, pending: 100 - completed, completed, failed: 0, cancelled: 0 },
  } as unknown as BatchStatusDto;
}

describe('BatchEventRelay', () => {
  let current: BatchStatusDto;
  let relay: BatchEventRelay;
  let ns: ReturnType<typeof fakeNamespace>;
  let reads: number;
  /** How a read goes: at once with `current` by default. */
  let reader: () => Promise<BatchStatusDto>;
  /** The process's Redis connection, as far as the relay listens to it. */
  let redis: EventEmitter;
  /** What the relay asked of the account's batches that may have moved. */
  let movedSince: jest.Mock;

  const setup = (rooms = [`batch:${ACCOUNT}:${ID}`]) => {
    reads = 0;
    reader = () => Promise.resolve(current);
    movedSince = jest.fn(() => Promise.resolve([{ id: ID, accountId: ACCOUNT }]));
    const batches = {
      movedSince,
      snapshots: async () => {
        reads++;
        const owned: OwnedStatus = { accountId: ACCOUNT, status: await reader() };
        return new Map([[ID, owned]]);
      },
    } as unknown as BatchService;
    const errors = {
      summaries: () => Promise.resolve([{ category: 'opted_out', count: 1 }]),
    } as unknown as ErrorLogService;
    const metrics = { eventEmitted: jest.fn() } as unknown as MetricsService;
    redis = new EventEmitter();
    relay = new BatchEventRelay(
      batches,
      errors,
      metrics,
      redis as unknown as Redis,
      {
        reconcileIntervalMs: 5_000,
      } as DispatchConfig,
    );
    ns = fakeNamespace(rooms);
    relay.attach(ns.nsp);
  };
  const progressed = () =>
    ns.notify({ kind: 'progress', batches: [{ id: ID, accountId: ACCOUNT }] });
  const progressEvents = () => ns.emitted.filter((e) => e.event === 'batch:progress');

  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => {
    relay.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('sends at most 4 progress events per 1.25 s, each with the latest state', async () => {
    setup();
    for (let completed = 1; completed <= 40; completed++) {
      current = status(completed);
      progressed();
      await jest.advanceTimersByTimeAsync(50); // a change every 50 ms for 2 s
    }
    await jest.advanceTimersByTimeAsync(2_000);
    const events = progressEvents();
    for (const { at } of events) {
      expect(events.filter((e) => e.at >= at && e.at < at + 1_250).length).toBeLessThanOrEqual(4);
    }
    // Never backwards, and the last one is the latest state.
    const counts = events.map((e) => e.payload.progress.completed);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts[counts.length - 1]).toBe(40);
    expect(events.length).toBeGreaterThanOrEqual(6);
  });

  it('after Redis comes back, a followed batch whose notices were lost gets its state at once and a reconcile interval later', async () => {
    setup();
    current = status(10);
    progressed();
    await jest.advanceTimersByTimeAsync(1);
    redis.emit('close');
    current = status(100, 'completed'); // its notices went nowhere
    await jest.advanceTimersByTimeAsync(3_000);
    expect(progressEvents().map((e) => e.payload.status)).toEqual(['processing']);
    redis.emit('ready');
    await jest.advanceTimersByTimeAsync(1);
    expect(progressEvents().map((e) => e.payload.status)).toEqual(['processing', 'completed']);
    current = { ...status(100, 'completed'), delivery: { delivered: 100 } } as BatchStatusDto;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(progressEvents()).toHaveLength(3);
    // Nothing new after that: a batch that did not change is not sent again.
    redis.emit('ready');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(progressEvents()).toHaveLength(3);
  });

  it("after Redis comes back, a whole account's follower gets the state of its batches that may have moved", async () => {
    setup([`account:${ACCOUNT}`]);
    redis.emit('close');
    current = status(100, 'cancelled');
    await jest.advanceTimersByTimeAsync(1_000);
    redis.emit('ready');
    await jest.advanceTimersByTimeAsync(1);
    expect(movedSince).toHaveBeenCalledWith([ACCOUNT], expect.any(Date), 1_000);
    const [[, since]] = movedSince.mock.calls as [string[], Date][];
    // From when the connection closed, less a margin for the clocks' skew.
    expect(since.getTime()).toBe(1_000_000 - 60_000);
    expect(progressEvents().map((e) => [e.rooms, e.payload.status])).toEqual([
      [[`batch:${ACCOUNT}:${ID}`, `account:${ACCOUNT}`], 'cancelled'],
    ]);
  });

  it("the Socket.IO adapter's subscriber coming back after it closed makes followers catch up too", async () => {
    setup();
    const subscriber = new EventEmitter();
    relay.watch(subscriber);
    current = status(10);
    progressed();
    await jest.advanceTimersByTimeAsync(1);
    subscriber.emit('close'); // the shared connection stays up, and publishers succeed
    current = status(100, 'completed');
    await jest.advanceTimersByTimeAsync(2_000);
    subscriber.emit('ready');
    await jest.advanceTimersByTimeAsync(1);
    expect(progressEvents().map((e) => e.payload.status)).toEqual(['processing', 'completed']);
  });

  it("a publisher's `lost` notice (its own connection was cut) makes followers catch up too", async () => {
    setup();
    current = status(10);
    progressed();
    await jest.advanceTimersByTimeAsync(1);
    current = status(100, 'completed'); // published by a worker whose Redis was away
    ns.notify({ kind: 'lost', since: new Date(999_000).toISOString() });
    await jest.advanceTimersByTimeAsync(1);
    expect(progressEvents().map((e) => e.payload.status)).toEqual(['processing', 'completed']);
  });

  it('sends the final state at once, past the pacing, and a status event for the transition', async () => {
    setup();
    for (let completed = 1; completed <= 4; completed++) {
      current = status(completed);
      progressed();
      await jest.advanceTimersByTimeAsync(1);
    }
    expect(progressEvents()).toHaveLength(4);
    current = status(100, 'completed');
    ns.notify({ kind: 'status', accountId: ACCOUNT, batch: current });
    await jest.advanceTimersByTimeAsync(1);
    expect(ns.emitted.map((e) => [e.event, e.payload.status])).toEqual([
      ...Array(4).fill(['batch:progress', 'processing']),
      ['batch:status', 'completed'],
      ['batch:progress', 'completed'],
    ]);
  });

  it('drops a read that started before a status change, and sends the state after it', async () => {
    setup();
    current = status(10);
    // A slow read: it sees the batch processing, and answers after the batch was paused.
    reader = () => new Promise((resolve) => setTimeout(() => resolve(status(10)), 200));
    progressed();
    await jest.advanceTimersByTimeAsync(50);
    current = status(12, 'paused');
    reader = () => Promise.resolve(current);
    ns.notify({ kind: 'status', accountId: ACCOUNT, batch: current });
    await jest.advanceTimersByTimeAsync(2_000);
    expect(
      ns.emitted.map((e) => [e.event, e.payload.status, e.payload.progress.completed]),
    ).toEqual([
      ['batch:status', 'paused', 12],
      ['batch:progress', 'paused', 12],
    ]);
  });

  it('tries a failed read again, so the final state still arrives', async () => {
    setup();
    current = status(100, 'completed');
    let failures = 1;
    reader = () =>
      failures-- > 0 ? Promise.reject(new Error('connection lost')) : Promise.resolve(current);
    ns.notify({ kind: 'status', accountId: ACCOUNT, batch: current });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(progressEvents().map((e) => e.payload.status)).toEqual(['completed']);
    expect(reads).toBe(2);
  });

  it('sends the final state once when progress showed it before the status notice', async () => {
    setup();
    current = status(100, 'completed');
    progressed();
    await jest.advanceTimersByTimeAsync(10);
    ns.notify({ kind: 'status', accountId: ACCOUNT, batch: current });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(ns.emitted.map((e) => [e.event, e.payload.status])).toEqual([
      ['batch:progress', 'completed'],
      ['batch:status', 'completed'],
    ]);
  });

  it('reads a subscribe ack in turn: after the read in flight, before one asked meanwhile', async () => {
    setup();
    const order: string[] = [];
    current = status(5);
    reader = () =>
      new Promise((resolve) =>
        setTimeout(() => {
          order.push(`relay read ${current.progress.completed}`);
          resolve(current);
        }, 100),
      );
    progressed(); // a relay read starts, and takes 100 ms
    await jest.advanceTimersByTimeAsync(10);
    const ack = relay.inTurn({ id: ID, accountId: ACCOUNT }, async () => {
      order.push('ack read');
      current = status(7);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'ack';
    });
    await jest.advanceTimersByTimeAsync(10);
    progressed(); // asked while the ack is waiting or reading: it must read after it
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(ack).resolves.toBe('ack');
    expect(order).toEqual(['relay read 5', 'ack read', 'relay read 7']);
    expect(progressEvents().map((e) => e.payload.progress.completed)).toEqual([5, 7]);
  });

  it('does not repeat a state it already sent', async () => {
    setup();
    current = status(3);
    progressed();
    await jest.advanceTimersByTimeAsync(300);
    progressed();
    await jest.advanceTimersByTimeAsync(300);
    expect(progressEvents()).toHaveLength(1);
    expect(reads).toBe(2);
  });

  it('reads nothing for a batch nobody here follows', async () => {
    setup([]);
    current = status(3);
    progressed();
    ns.notify({ kind: 'status', accountId: ACCOUNT, batch: current });
    ns.notify({ kind: 'error', accountId: ACCOUNT, batchId: ID, category: 'opted_out' });
    await jest.advanceTimersByTimeAsync(2_000);
    expect(reads).toBe(0);
    expect(ns.emitted).toEqual([]);
  });

  it('reaches followers of the account and of the batch, in one emit', async () => {
    setup([`account:${ACCOUNT}`]);
    ns.notify({ kind: 'error', accountId: ACCOUNT, batchId: ID, category: 'opted_out' });
    await jest.advanceTimersByTimeAsync(1);
    expect(ns.emitted).toEqual([
      {
        event: 'batch:error',
        rooms: [`batch:${ACCOUNT}:${ID}`, `account:${ACCOUNT}`],
        payload: { id: ID, category: 'opted_out', summary: { category: 'opted_out', count: 1 } },
        at: expect.any(Number),
      },
    ]);
  });

  it('keeps what it knows of a batch per account: another account’s subscribe takes nothing over', async () => {
    const INTRUDER = 'a2';
    // The intruder's account follows everything, and asked for this batch id first.
    setup([`batch:${ACCOUNT}:${ID}`, `account:${INTRUDER}`]);
    current = status(5);
    await expect(
      relay.inTurn({ id: ID, accountId: INTRUDER }, () => Promise.reject(new Error('not found'))),
    ).rejects.toThrow('not found');
    progressed();
    await jest.advanceTimersByTimeAsync(100);
    expect(progressEvents().map((e) => e.rooms)).toEqual([
      [`batch:${ACCOUNT}:${ID}`, `account:${ACCOUNT}`],
    ]);
  });

  it('ignores notices it does not understand', () => {
    setup();
    expect(() => ns.notify({ kind: 'nonsense' } as unknown as BatchNotice)).not.toThrow();
    expect(() => ns.notify(null as unknown as BatchNotice)).not.toThrow();
  });
});

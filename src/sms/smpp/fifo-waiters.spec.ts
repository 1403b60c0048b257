import { FifoWaiters } from './fifo-waiters';

describe('FifoWaiters', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const until = (ms: number) => ({ deadline: Date.now() + ms });

  it('serves the oldest waiter first, one item each', async () => {
    const waiters = new FifoWaiters<number>();
    const first = waiters.wait((n) => `first got ${n}`, until(1_000));
    const second = waiters.wait((n) => `second got ${n}`, until(1_000));
    const items = [1, 2, 3];
    waiters.serve(() => items.shift());
    await expect(first).resolves.toBe('first got 1');
    await expect(second).resolves.toBe('second got 2');
    expect(items).toEqual([3]);
    expect(waiters.size).toBe(0);
  });

  it('keeps waiting while there is nothing to hand out', () => {
    const waiters = new FifoWaiters<number>();
    void waiters.wait((n) => n, until(1_000));
    waiters.serve(() => undefined);
    expect(waiters.size).toBe(1);
  });

  it('answers expired at the deadline and is not served afterwards', async () => {
    const waiters = new FifoWaiters<number>();
    const use = jest.fn((n: number) => n);
    const waited = waiters.wait(use, until(500));
    jest.advanceTimersByTime(500);
    await expect(waited).resolves.toBe('expired');
    waiters.serve(() => 7);
    expect(use).not.toHaveBeenCalled();
  });

  it('answers aborted when the signal aborts, and lets the next waiter have the item', async () => {
    const waiters = new FifoWaiters<number>();
    const controller = new AbortController();
    const aborted = waiters.wait((n) => n, { ...until(1_000), signal: controller.signal });
    const next = waiters.wait((n) => n, until(1_000));
    controller.abort();
    waiters.serve(() => 9);
    await expect(aborted).resolves.toBe('aborted');
    await expect(next).resolves.toBe(9);
  });

  it('answers closing to every waiter on closeAll', async () => {
    const waiters = new FifoWaiters<number>();
    const waits = [waiters.wait((n) => n, until(1_000)), waiters.wait((n) => n, until(1_000))];
    waiters.closeAll();
    await expect(Promise.all(waits)).resolves.toEqual(['closing', 'closing']);
    expect(waiters.size).toBe(0);
  });
});

import { Slots } from './slots';

describe('Slots', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('hands out as many slots as it has, then makes callers wait', async () => {
    const slots = new Slots(2);
    const first = await slots.acquire(1_000);
    const second = await slots.acquire(1_000);
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    let third: unknown = 'waiting';
    void slots.acquire(1_000).then((release) => (third = release));
    await Promise.resolve();
    expect(third).toBe('waiting');
    first!();
    await Promise.resolve();
    expect(typeof third).toBe('function');
    expect(slots.inUse).toBe(2);
  });

  it('gives up on a waiter after its wait, and the slot it would have had stays free', async () => {
    const slots = new Slots(1);
    const held = await slots.acquire(1_000);
    const waiting = slots.acquire(1_000);
    jest.advanceTimersByTime(1_000);
    await expect(waiting).resolves.toBeUndefined();
    held!();
    expect(slots.inUse).toBe(0);
  });

  it('serves waiters in order and ignores a second release', async () => {
    const slots = new Slots(1);
    const held = await slots.acquire(1_000);
    const order: number[] = [];
    const a = slots.acquire(1_000).then((release) => (order.push(1), release));
    const b = slots.acquire(1_000).then((release) => (order.push(2), release));
    held!();
    held!();
    (await a)!();
    await b;
    expect(order).toEqual([1, 2]);
    expect(slots.inUse).toBe(1);
  });
});

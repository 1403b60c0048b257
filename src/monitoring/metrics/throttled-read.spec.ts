// How often a scrape-time read really runs, and what scrapes get meanwhile.
import { ThrottledRead } from './throttled-read';

function newThrottledRead() {
  let clock = 0;
  let next = 1;
  let failing = false;
  const read = jest.fn(() => (failing ? Promise.reject(new Error('down')) : Promise.resolve(next)));
  const throttled = new ThrottledRead(read, 15_000, 60_000, () => clock);
  return {
    throttled,
    read,
    advance: (ms: number) => (clock += ms),
    set: (value: number) => (next = value),
    fail: (value: boolean) => (failing = value),
  };
}

/** Lets a refresh started in the background settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ThrottledRead', () => {
  it('reads once for any number of scrapes while the value is fresh', async () => {
    const { throttled, read, advance } = newThrottledRead();
    for (let i = 0; i < 20; i++) {
      expect(await throttled.get()).toBe(1);
      advance(500);
    }
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('shares one read between scrapes that arrive together', async () => {
    const { throttled, read } = newThrottledRead();
    expect(await Promise.all([throttled.get(), throttled.get(), throttled.get()])).toEqual([
      1, 1, 1,
    ]);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('serves the last value at once when it is old, and refreshes it behind the scrape', async () => {
    const { throttled, read, advance, set } = newThrottledRead();
    await throttled.get();
    set(2);
    advance(20_000);
    expect(await throttled.get()).toBe(1);
    await settle();
    expect(await throttled.get()).toBe(2);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it.each<[string, number, number | 'fails']>([
    ['a value not yet stale is still served', 59_000, 1],
    ['a stale value is not: the scrape waits for a read that fails', 61_000, 'fails'],
  ])('while the source is down, %s', async (_case, elapsed, expected) => {
    const { throttled, advance, fail } = newThrottledRead();
    await throttled.get();
    fail(true);
    advance(elapsed);
    const answer = throttled.get();
    if (expected === 'fails') await expect(answer).rejects.toThrow('down');
    else expect(await answer).toBe(expected);
  });
});

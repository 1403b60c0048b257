import { SubscribeLimits } from './subscribe-limits';

const limits = (subscribesPerSecond: number, maxSubscriptionsPerSocket: number) =>
  new SubscribeLimits({ subscribesPerSecond, maxSubscriptionsPerSocket });

/** The codes of `count` subscribes `everyMs` apart, from a socket that follows nothing. */
function codes(budget: SubscribeLimits, count: number, everyMs: number): (string | undefined)[] {
  return Array.from({ length: count }, (_, i) => budget.refusal(i * everyMs, 0, false)?.error.code);
}

describe('SubscribeLimits', () => {
  it.each<[string, number, number, number, number]>([
    // name, per second, subscribes, ms apart, how many pass
    ['a burst of 30 at 20 per second', 20, 30, 0, 20],
    ['one every 50 ms for 3 s', 20, 60, 50, 60],
    ['one every 10 ms for 2 s', 20, 200, 10, 40],
    ['anything when turned off', 0, 2_000, 0, 2_000],
  ])('lets through %s', (_name, perSecond, count, everyMs, passing) => {
    const results = codes(limits(perSecond, 0), count, everyMs);
    expect(results.filter((code) => code === undefined)).toHaveLength(passing);
    expect(results.filter((code) => code !== undefined && code !== 'RATE_LIMITED')).toEqual([]);
  });

  it('never lets more than the rate through in any second', () => {
    const budget = limits(5, 0);
    const passed: number[] = [];
    for (let at = 0; at < 5_000; at += 37) if (!budget.refusal(at, 0, false)) passed.push(at);
    for (const at of passed) {
      expect(passed.filter((t) => t >= at && t < at + 1_000).length).toBeLessThanOrEqual(5);
    }
  });

  it.each<[string, number, number, boolean, string | undefined]>([
    ['under the cap', 1_000, 999, false, undefined],
    ['at the cap', 1_000, 1_000, false, 'LIMIT_REACHED'],
    ['at the cap, renewing one it holds', 1_000, 1_000, true, undefined],
    ['far past the cap when turned off', 0, 1_000_000, false, undefined],
  ])('answers a subscribe %s', (_name, max, following, renewing, code) => {
    expect(limits(0, max).refusal(0, following, renewing)?.error.code).toBe(code);
  });

  it('says what the limit is', () => {
    const budget = limits(1, 3);
    expect(budget.refusal(0, 3, false)).toEqual({
      error: { code: 'LIMIT_REACHED', message: expect.stringContaining('at most 3') },
    });
    expect(budget.refusal(1, 0, false)).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringContaining('At most 1 subscribes') },
    });
  });
});

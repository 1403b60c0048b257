import { MAX_DELAY_MS, reconnectDelayMs } from './reconnect-backoff';

describe('reconnectDelayMs', () => {
  it.each([
    [0, 0, 250],
    [0, 0.999, 125],
    [1, 0, 500],
    [2, 0.5, 750],
    [6, 0, 16_000],
    [7, 0, 30_000],
    [7, 0.5, 22_500],
    [1_000, 0, 30_000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(reconnectDelayMs(attempt, random)).toBe(expected);
  });

  it('never waits longer than the cap nor less than half of it once capped', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = reconnectDelayMs(attempt, Math.random());
      expect(delay).toBeLessThanOrEqual(MAX_DELAY_MS);
      expect(delay).toBeGreaterThan(0);
    }
  });
});

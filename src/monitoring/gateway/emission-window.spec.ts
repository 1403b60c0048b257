import { EmissionWindow } from './emission-window';

describe('EmissionWindow', () => {
  it('lets `limit` emissions go at once, then waits for the oldest to leave the window', () => {
    const window = new EmissionWindow(4, 1_000);
    for (const at of [0, 10, 20, 30]) {
      expect(window.waitMs(at)).toBe(0);
      window.record(at);
    }
    expect(window.waitMs(30)).toBe(970);
    expect(window.waitMs(999)).toBe(1);
    expect(window.waitMs(1_000)).toBe(0);
  });

  it('never allows more than `limit` in any window, whatever the timing', () => {
    const window = new EmissionWindow(4, 1_000);
    const sent: number[] = [];
    // Asks every 7 ms for 5 s and emits whenever it may.
    for (let now = 0; now < 5_000; now += 7) {
      if (window.waitMs(now) === 0) {
        window.record(now);
        sent.push(now);
      }
    }
    for (const start of sent) {
      expect(sent.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(4);
    }
    // And it does not hold back more than it must: 4 per second over 5 s.
    expect(sent.length).toBeGreaterThanOrEqual(19);
  });

  it('reports when the last emission went', () => {
    const window = new EmissionWindow(2, 1_000);
    expect(window.lastAt()).toBe(-Infinity);
    window.record(5);
    window.record(8);
    window.record(12);
    expect(window.lastAt()).toBe(12);
    expect(window.waitMs(12)).toBe(996); // the oldest kept is 8
  });
});

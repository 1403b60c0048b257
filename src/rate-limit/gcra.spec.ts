import { decidePermits, emissionIntervalUs } from './gcra';

describe('emissionIntervalUs', () => {
  it.each([
    [8, 125_000],
    [5, 200_000],
    [2, 500_000],
    [3, 334_000], // rounded up to whole milliseconds: never more than 3 in a second
    [1000, 1_000],
    [4000, 250],
  ])('rate %d/s: %d µs', (rate, expected) => {
    expect(emissionIntervalUs(rate)).toBe(expected);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => emissionIntervalUs(0)).toThrow(RangeError);
  });
});

describe('decidePermits', () => {
  const T = 125_000; // 8 per second
  it.each<
    [string, number | null, number, number, { timesUs: number[]; waitUs: number; tatUs: number }]
  >([
    [
      'a fresh key grants one permit now',
      null,
      1_000_000,
      5,
      { timesUs: [1_000_000], waitUs: 0, tatUs: 1_125_000 },
    ],
    [
      'an idle key does not bank permits',
      500_000,
      1_000_000,
      5,
      { timesUs: [1_000_000], waitUs: 0, tatUs: 1_125_000 },
    ],
    [
      'the next slot inside the horizon is granted ahead',
      1_040_000,
      1_000_000,
      5,
      { timesUs: [1_040_000], waitUs: 0, tatUs: 1_165_000 },
    ],
    [
      'a slot beyond the horizon means wait',
      1_125_000,
      1_000_000,
      5,
      { timesUs: [], waitUs: 75_000, tatUs: 1_125_000 },
    ],
  ])('%s', (_case, tat, now, want, expected) => {
    expect(decidePermits(tat, now, T, want)).toEqual(expected);
  });

  it('grants several permits at once when the rate is high, spaced by the interval', () => {
    const decision = decidePermits(null, 0, 1_000, 100); // 1,000/s, horizon 50 ms
    expect(decision.timesUs).toHaveLength(51);
    expect(decision.timesUs[50]).toBe(50_000);
    expect(decision.tatUs).toBe(51_000);
  });

  it.each([8, 5, 2, 3, 7])(
    'at %d/s no 1-second window of permit times (in ms) ever holds more than the rate',
    (rate) => {
      const interval = emissionIntervalUs(rate);
      let tat: number | null = null;
      let now = 0;
      const permitsMs: number[] = [];
      // Many impatient callers: ask every 7 ms for 3 permits, for 20 simulated seconds.
      while (now < 20_000_000) {
        const decision = decidePermits(tat, now, interval, 3);
        permitsMs.push(...decision.timesUs.map((us) => Math.floor(us / 1000)));
        tat = decision.tatUs;
        now += 7_000;
      }
      let worst = 0;
      for (let i = 0, j = 0; i < permitsMs.length; i++) {
        while (permitsMs[i] - permitsMs[j] >= 1000) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst).toBeLessThanOrEqual(rate);
      expect(permitsMs.length).toBeGreaterThanOrEqual(rate * 20 * 0.95);
    },
  );
});

import {
  cutCeiling,
  recoveredCeiling,
  reportedLimit,
  throttlePauseMs,
  type BackpressureSettings,
} from './backpressure';

const S: BackpressureSettings = {
  decrease: 0.5,
  recoveryMps: 1,
  minimumMps: 1,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
};

describe('the AIMD ceiling', () => {
  it.each([
    [30, 15],
    [15, 7.5],
    [1.5, 1], // never below the minimum
    [1, 1],
  ])('a rate-limit answer cuts %d to %d', (ceiling, expected) => {
    expect(cutCeiling(ceiling, S)).toBe(expected);
  });

  it.each([
    [15, 0, 30, 15],
    [15, 1_000, 30, 16],
    [15, 7_500, 30, 22.5],
    [15, 60_000, 30, 30], // back at its target, and no further
    [2, 500, 30, 2.5],
  ])('%d regains linearly: %d ms later %d -> %d', (lowered, elapsed, target, expected) => {
    expect(recoveredCeiling(lowered, elapsed, target, S)).toBe(expected);
  });

  it('cut after cut, a provider that keeps throttling is asked for less and less', () => {
    let ceiling = 30;
    const seen = [];
    for (let i = 0; i < 6; i++) {
      ceiling = cutCeiling(recoveredCeiling(ceiling, 1_000, 30, S), S);
      seen.push(ceiling);
    }
    expect(seen).toEqual([15, 8, 4.5, 2.75, 1.875, 1.4375]);
  });
});

describe('throttlePauseMs', () => {
  it("follows the provider's Retry-After", () => {
    expect(throttlePauseMs(1_000, 3, S, () => 0.99)).toBe(1_000);
    expect(throttlePauseMs(0, 1, S)).toBe(0);
  });

  it.each([
    // consecutive, random, expected
    [1, 0, 500],
    [1, 0.999, 999],
    [2, 0, 1_000],
    [3, 0.5, 3_000],
    [10, 0, 15_000], // capped at RATE_LIMIT_BACKOFF_MAX_MS
  ])('without Retry-After, answer %d in a row (random %d) pauses %d ms', (n, r, expected) => {
    expect(throttlePauseMs(undefined, n, S, () => r)).toBe(expected);
  });
});

describe('reportedLimit', () => {
  it.each([
    ['plenty left', { limit: 10, remaining: 8, resetMs: 600 }, { kind: 'none' }],
    ['no reset given', { limit: 10, remaining: 1, resetMs: 0 }, { kind: 'none' }],
    [
      '2 of 10 left for 500 ms',
      { limit: 10, remaining: 2, resetMs: 500 },
      { kind: 'space', gapMs: 250 },
    ],
    ['1 of 5 left', { limit: 5, remaining: 1, resetMs: 250 }, { kind: 'space', gapMs: 250 }],
    ['nothing left', { limit: 5, remaining: 0, resetMs: 300 }, { kind: 'pause', forMs: 300 }],
  ])('%s', (_name, report, expected) => {
    expect(reportedLimit(report)).toEqual(expected);
  });
});

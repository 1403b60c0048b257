import {
  allot,
  fitsWindow,
  holdsProvider,
  scopedRates,
  segmentsPerMessage,
  windowBudgets,
  type AllotmentSettings,
  type PerTier,
} from './allotment';

const RATES = { high: 8, normal: 5, low: 2 };
const settings = (ceiling: number, floor = 0.1): AllotmentSettings => ({
  rates: RATES,
  ceiling,
  floor,
});
const running = (high: number, normal: number, low: number): PerTier => ({ high, normal, low });

describe('allot', () => {
  it.each([
    // name, running, ceiling, expected per-batch rates
    ['unlimited: every tier its rate', running(3, 3, 3), 0, { high: 8, normal: 5, low: 2 }],
    ['one of each under 30: all fit', running(1, 1, 1), 30, { high: 8, normal: 5, low: 2 }],
    ['exactly at the ceiling', running(1, 1, 1), 15, { high: 8, normal: 5, low: 2 }],
    // 10 - 0.3 of floors = 9.7: high takes 7.9 more, normal gets 1.8 more, low keeps its floor.
    [
      'ceiling 10: high first, normal next, low its floor',
      running(1, 1, 1),
      10,
      { high: 8, normal: 1.9, low: 0.1 },
    ],
    [
      'ceiling 8: high keeps its rate minus the others floors',
      running(1, 1, 1),
      8,
      { high: 7.8, normal: 0.1, low: 0.1 },
    ],
    ['two normal batches share 5 evenly', running(0, 2, 0), 5, { high: 8, normal: 2.5, low: 2 }],
    ['two high batches under 10 share it', running(2, 0, 0), 10, { high: 5, normal: 5, low: 2 }],
    [
      'floors alone exceed the ceiling: an even share',
      running(10, 10, 10),
      1.5,
      { high: 0.05, normal: 0.05, low: 0.05 },
    ],
    [
      'a floor above a tier rate is capped at it',
      running(0, 0, 2),
      1,
      { high: 8, normal: 5, low: 0.5 },
    ],
  ])('%s', (_name, counts, ceiling, expected) => {
    const result = allot(counts, settings(ceiling));
    for (const tier of ['high', 'normal', 'low'] as const) {
      // A tier with no running batch has no allotment worth checking.
      if (counts[tier]) expect(result[tier]).toBeCloseTo(expected[tier], 9);
    }
  });

  it('never hands out more than the ceiling, and every running batch gets at least the floor', () => {
    for (const ceiling of [0.5, 1, 3, 7.5, 15, 29, 30, 100]) {
      for (const counts of [
        running(1, 1, 1),
        running(4, 0, 2),
        running(0, 7, 3),
        running(2, 2, 9),
      ]) {
        const result = allot(counts, settings(ceiling));
        const used =
          counts.high * result.high + counts.normal * result.normal + counts.low * result.low;
        expect(used).toBeLessThanOrEqual(ceiling + 1e-9);
        for (const tier of ['high', 'normal', 'low'] as const) {
          const total = counts.high + counts.normal + counts.low;
          if (counts[tier]) {
            expect(result[tier]).toBeGreaterThanOrEqual(Math.min(0.1, ceiling / total) - 1e-9);
          }
          expect(result[tier]).toBeLessThanOrEqual(RATES[tier]);
        }
      }
    }
  });
});

describe('windowBudgets', () => {
  it.each([
    // running, limit, expected reserves, expected budgets
    [
      'one of each under 10: high is never held back, low keeps a permit',
      running(1, 1, 1),
      10,
      { high: 8, normal: 1, low: 1 },
      { high: 10, normal: 2, low: 1 },
    ],
    [
      'one of each under 30',
      running(1, 1, 1),
      30,
      { high: 8, normal: 5, low: 2 },
      { high: 30, normal: 22, low: 17 },
    ],
    [
      'two normal under 5',
      running(0, 2, 0),
      5,
      { high: 0, normal: 5, low: 0 },
      { high: 5, normal: 5, low: 0 },
    ],
    [
      'many low batches under 3',
      running(0, 0, 6),
      3,
      { high: 0, normal: 0, low: 3 },
      { high: 3, normal: 3, low: 3 },
    ],
  ])('%s', (_name, counts, limit, reserves, budgets) => {
    const allotted = allot(counts, { rates: RATES, ceiling: limit, floor: 0.1 });
    expect(windowBudgets(counts, allotted, limit)).toEqual({ reserves, budgets });
  });

  it('never reserves more than the window holds', () => {
    for (const limit of [1, 2, 5, 10, 17, 30]) {
      for (const counts of [
        running(1, 1, 1),
        running(3, 2, 5),
        running(0, 4, 4),
        running(6, 0, 0),
      ]) {
        const allotted = allot(counts, { rates: RATES, ceiling: limit, floor: 0.1 });
        const { reserves } = windowBudgets(counts, allotted, limit);
        expect(reserves.high + reserves.normal + reserves.low).toBeLessThanOrEqual(limit);
      }
    }
  });
});

describe('windowBudgets in segments', () => {
  it('reserves a tier its permits times the segments per message, and each batch below one message', () => {
    // One high and one low batch, 3 segments each, under 12 segments: high can use 8 × 3 = 24
    // but must leave the low batch one message (3 segments).
    const counts = running(1, 0, 1);
    expect(windowBudgets(counts, { high: 8, normal: 5, low: 2 }, 12, 3)).toEqual({
      reserves: { high: 9, normal: 0, low: 3 },
      budgets: { high: 12, normal: 3, low: 3 },
    });
  });
});

describe('fitsWindow', () => {
  it.each([
    // used, units, budget, fits
    ['room left', 4, 3, 10, true],
    ['exactly full after it', 7, 3, 10, true],
    ['one segment too many', 8, 3, 10, false],
    ['an empty window takes a message longer than the ceiling', 0, 15, 10, true],
    ['a non-empty one does not', 1, 15, 10, false],
  ])('%s', (_name, used, units, budget, fits) => {
    expect(fitsWindow(used, units, budget)).toBe(fits);
  });
});

describe('holdsProvider', () => {
  it.each([
    [5, 3, true],
    [3, 3, false],
    [1, 10, false],
  ])('%d segments under a ceiling of %d: %s', (units, limit, holds) => {
    expect(holdsProvider(units, limit)).toBe(holds);
  });
});

describe('segmentsPerMessage', () => {
  it.each([
    [[1, 1, 1], 1],
    [[1, 3], 2],
    [[], 1],
    [[0, 2], 1.5],
  ])('%j: %d', (segments, expected) => {
    expect(segmentsPerMessage(segments)).toBe(expected);
  });
});

describe('scopedRates', () => {
  const scoped = (globalCeiling: number, providerCeiling: number, spm: number) => ({
    rates: RATES,
    floor: 0.1,
    globalCeiling,
    providerCeiling,
    segmentsPerMessage: spm,
  });

  it.each([
    // name, running globally, at the provider, settings, expected
    ['no ceilings: tier rates', running(1, 1, 1), running(1, 1, 1), scoped(0, 0, 1), RATES],
    [
      // 12 segments of 3 are 4 messages: each batch its floor, high the 3.8 left (the global 30
      // would give both their tier rates; a tier with nothing running shows its floor).
      'the provider is tighter: high first within it',
      running(1, 0, 1),
      running(1, 0, 1),
      scoped(30, 12, 3),
      { high: 3.9, normal: 0.1, low: 0.1 },
    ],
    [
      'the global one is tighter',
      running(2, 0, 0),
      running(1, 0, 0),
      scoped(10, 100, 1),
      { high: 5, normal: 0.1, low: 0.1 },
    ],
  ])('%s', (_name, globally, atProvider, settings, expected) => {
    const rates = scopedRates(globally, atProvider, settings);
    for (const tier of ['high', 'normal', 'low'] as const) {
      expect(rates[tier]).toBeCloseTo(expected[tier], 6);
    }
  });
});

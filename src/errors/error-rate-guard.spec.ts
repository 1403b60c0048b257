import { errorRatePauseReason, type ErrorRateSettings } from './error-rate-guard';

const DEFAULTS: ErrorRateSettings = { window: 100, minSample: 20, pauseThreshold: 0.5 };
const outcomes = (failed: number, accepted: number) => '1'.repeat(failed) + '0'.repeat(accepted);

describe('errorRatePauseReason', () => {
  it.each([
    ['nothing yet', '', DEFAULTS, false],
    ['19 failures: below the minimum sample', outcomes(19, 0), DEFAULTS, false],
    ['20 failures: the sample is reached', outcomes(20, 0), DEFAULTS, true],
    ['10 of 20 failed: at the threshold pauses', outcomes(10, 10), DEFAULTS, true],
    ['9 of 20 failed: below the threshold', outcomes(9, 11), DEFAULTS, false],
    ['49 of 100 failed', outcomes(49, 51), DEFAULTS, false],
    ['50 of 100 failed', outcomes(50, 50), DEFAULTS, true],
    [
      '55 of 100 at 0.55 (no rounding above)',
      outcomes(55, 45),
      { ...DEFAULTS, pauseThreshold: 0.55 },
      true,
    ],
    ['54 of 100 at 0.55', outcomes(54, 46), { ...DEFAULTS, pauseThreshold: 0.55 }, false],
    ['7 of 100 at 0.07', outcomes(7, 93), { ...DEFAULTS, pauseThreshold: 0.07 }, true],
    // Only the last `window` attempts count: old failures drop out.
    ['60 old failures then 100 successes', outcomes(60, 100), DEFAULTS, false],
    [
      'every attempt failed, guard disabled',
      outcomes(100, 0),
      { ...DEFAULTS, pauseThreshold: 1 },
      false,
    ],
    [
      'a small window',
      outcomes(0, 50) + outcomes(3, 1),
      { window: 4, minSample: 4, pauseThreshold: 0.75 },
      true,
    ],
  ])('%s', (_name, window, settings, pauses) => {
    expect(errorRatePauseReason(window, settings) !== null).toBe(pauses);
  });

  it('says how many of how many failed, and what the threshold is', () => {
    expect(errorRatePauseReason(outcomes(12, 8), DEFAULTS)).toMatch(
      /12 of the last 20 attempts failed \(threshold 50%\)/,
    );
  });
});

import {
  effectiveLimit,
  exceeded,
  nextUtcMidnight,
  QuotaExceeded,
  quotaDetails,
  quotaPauseReason,
  secondsToMidnight,
  utcDay,
  type Amounts,
  type Limits,
} from './daily-quota';

const at = (iso: string) => new Date(iso);

describe('effectiveLimit: the account own, else the deployment; 0 is unlimited (null)', () => {
  it.each<[number | null, number, number | null]>([
    [null, 0, null],
    [null, 1000, 1000],
    [500, 1000, 500],
    [5000, 1000, 5000],
    [0, 1000, null],
    [300, 0, 300],
  ])('own %p, deployment %p: %p', (own, deployment, expected) => {
    expect(effectiveLimit(own, deployment)).toBe(expected);
  });
});

describe('the UTC day and its end', () => {
  it.each([
    ['2026-11-30T09:30:00.000Z', '2026-11-30', '2026-12-01T00:00:00.000Z', 14 * 3600 + 30 * 60],
    ['2026-12-31T23:59:59.250Z', '2026-12-31', '2027-01-01T00:00:00.000Z', 1],
    ['2026-12-31T23:59:59.999Z', '2026-12-31', '2027-01-01T00:00:00.000Z', 1],
    ['2028-02-28T12:00:00.000Z', '2028-02-28', '2028-02-29T00:00:00.000Z', 12 * 3600],
    ['2026-03-01T00:00:00.000Z', '2026-03-01', '2026-03-02T00:00:00.000Z', 24 * 3600],
    ['2026-06-15T00:00:00.001Z', '2026-06-15', '2026-06-16T00:00:00.000Z', 24 * 3600],
  ])('at %s: day %s, resets at %s, Retry-After %d s', (now, day, midnight, seconds) => {
    expect(utcDay(at(now))).toBe(day);
    expect(nextUtcMidnight(at(now)).toISOString()).toBe(midnight);
    expect(secondsToMidnight(at(now))).toBe(seconds);
  });
});

describe('exceeded: the quotas a need would pass', () => {
  const limits: Limits = { messages: 1000, segments: 2500 };
  it.each<[string, Amounts, Amounts, Limits, string[]]>([
    ['fits', { messages: 500, segments: 500 }, { messages: 500, segments: 2000 }, limits, []],
    [
      'one over messages',
      { messages: 500, segments: 0 },
      { messages: 501, segments: 1 },
      limits,
      ['messages'],
    ],
    [
      'over segments only',
      { messages: 0, segments: 2000 },
      { messages: 10, segments: 501 },
      limits,
      ['segments'],
    ],
    [
      'both',
      { messages: 1000, segments: 2500 },
      { messages: 1, segments: 1 },
      limits,
      ['messages', 'segments'],
    ],
    [
      'unlimited',
      { messages: 9e9, segments: 9e9 },
      { messages: 1, segments: 1 },
      { messages: null, segments: null },
      [],
    ],
    [
      'usage above a lowered limit, nothing needed',
      { messages: 20, segments: 0 },
      { messages: 0, segments: 0 },
      { messages: 10, segments: null },
      ['messages'],
    ],
  ])('%s', (_case, used, need, given, expected) => {
    expect(exceeded(used, need, given)).toEqual(expected);
  });
});

describe('quotaDetails: what is left of each limited quota, the exceeded first', () => {
  it('names both quotas, the one that refused first', () => {
    expect(
      quotaDetails(
        { messages: 880, segments: 100 },
        { messages: 500, segments: 600, what: 'this batch' },
        { messages: 1000, segments: 5000 },
      ),
    ).toEqual([
      { path: 'messages', message: '120 of 1000 left today; this batch needs 500' },
      { path: 'segments', message: '4900 of 5000 left today; this batch needs 600' },
    ]);
  });

  it('puts segments first when they refused, leaves out an unlimited quota, never shows less than 0 left', () => {
    expect(
      quotaDetails(
        { messages: 7, segments: 12 },
        { messages: 2, segments: 4, what: 'the requeued messages' },
        { messages: null, segments: 10 },
      ),
    ).toEqual([{ path: 'segments', message: '0 of 10 left today; the requeued messages need 4' }]);
  });
});

describe('refusals', () => {
  const refusal = {
    taken: false as const,
    used: { messages: 880, segments: 0 },
    limits: { messages: 1000, segments: null },
    exceeded: ['messages' as const],
    now: at('2026-11-30T23:00:00.000Z'),
  };
  const need = { messages: 500, segments: 500, what: 'this batch' };

  it('a 429 QUOTA_EXCEEDED with Retry-After to midnight and details', () => {
    const error = new QuotaExceeded(refusal, need);
    expect(error.code).toBe('QUOTA_EXCEEDED');
    expect(error.retryAfterSeconds).toBe(3600);
    expect(error.message).toBe(
      "This batch would pass the account's daily message quota, which resets at 2026-12-01T00:00:00.000Z.",
    );
    expect(error.details).toEqual([
      { path: 'messages', message: '120 of 1000 left today; this batch needs 500' },
    ]);
  });

  it('a pause reason naming the quota, what is left and when it resets', () => {
    expect(quotaPauseReason(refusal, need)).toBe(
      'Paused by the daily message quota at its scheduled start (120 of 1000 left today; this batch needs 500). ' +
        'The quota resets at 2026-12-01T00:00:00.000Z; resume the batch then, or once the quota is raised.',
    );
  });

  it('names both quotas when both refused', () => {
    const both = {
      ...refusal,
      limits: { messages: 1000, segments: 900 },
      exceeded: ['messages' as const, 'segments' as const],
    };
    expect(new QuotaExceeded(both, need).message).toContain(
      "the account's daily message quota and the daily segment quota,",
    );
  });
});

import {
  effectiveZoneKey,
  isOpen,
  nextClosing,
  nextOpening,
  validUntil,
  windowState,
} from './send-window';
import { parseSendWindow, type SendWindow } from '../../config/send-window';

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function window(fields: Partial<SendWindow> = {}): SendWindow {
  const parsed = parseSendWindow({ start: '09:00', end: '20:00', ...fields }, 'w');
  if (!('window' in parsed)) throw new Error(JSON.stringify(parsed.problems));
  return parsed.window;
}

describe('isOpen', () => {
  it.each([
    // New York is UTC-4 in July: 09:00-20:00 local is 13:00-24:00 UTC.
    ['2026-07-01T12:59:59Z', 'America/New_York', {}, false],
    ['2026-07-01T13:00:00Z', 'America/New_York', {}, true],
    ['2026-07-01T23:59:59Z', 'America/New_York', {}, true],
    ['2026-07-02T00:00:00Z', 'America/New_York', {}, false],
    // UTC-5 in January.
    ['2026-01-07T13:30:00Z', 'America/New_York', {}, false],
    ['2026-01-07T14:00:00Z', 'America/New_York', {}, true],
    // Saturday 4 July, and weekdays only.
    [
      '2026-07-04T15:00:00Z',
      'America/New_York',
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      false,
    ],
    [
      '2026-07-03T15:00:00Z',
      'America/New_York',
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      true,
    ],
    // Over midnight, 22:00-06:00 London (UTC+1 in July), Fridays only: Friday night into Saturday.
    [
      '2026-07-03T21:00:00Z',
      'Europe/London',
      { start: '22:00', end: '06:00', days: ['fri'] },
      true,
    ],
    [
      '2026-07-04T04:59:00Z',
      'Europe/London',
      { start: '22:00', end: '06:00', days: ['fri'] },
      true,
    ],
    [
      '2026-07-04T05:00:00Z',
      'Europe/London',
      { start: '22:00', end: '06:00', days: ['fri'] },
      false,
    ],
    [
      '2026-07-02T21:00:00Z',
      'Europe/London',
      { start: '22:00', end: '06:00', days: ['fri'] },
      false,
    ],
    // Intersection: Chicago (UTC-5) and Denver (UTC-6) in July: 15:00-01:00 UTC.
    ['2026-07-01T14:30:00Z', 'America/Chicago|America/Denver', {}, false],
    ['2026-07-01T15:00:00Z', 'America/Chicago|America/Denver', {}, true],
    ['2026-07-02T00:59:00Z', 'America/Chicago|America/Denver', {}, true],
    ['2026-07-02T01:00:00Z', 'America/Chicago|America/Denver', {}, false],
  ] as const)('at %s in %s (%j): %s', (when, key, fields, open) => {
    expect(isOpen(window(fields as Partial<SendWindow>), key, at(when))).toBe(open);
  });
});

describe('nextOpening and nextClosing', () => {
  it.each([
    // Open now: now.
    ['2026-07-01T15:00:00Z', 'America/New_York', {}, '2026-07-01T15:00:00.000Z'],
    ['2026-07-01T02:00:00Z', 'America/New_York', {}, '2026-07-01T13:00:00.000Z'],
    // Spring forward (8 March 2026): Saturday 09:00 is EST, Sunday 09:00 EDT.
    ['2026-03-07T20:00:00Z', 'America/New_York', { end: '12:00' }, '2026-03-08T13:00:00.000Z'],
    ['2026-03-07T10:00:00Z', 'America/New_York', { end: '12:00' }, '2026-03-07T14:00:00.000Z'],
    // Fall back (1 November 2026).
    ['2026-10-31T20:00:00Z', 'America/New_York', { end: '12:00' }, '2026-11-01T14:00:00.000Z'],
    // A start the spring-forward skips (02:30 on 8 March) opens at 03:30 EDT.
    [
      '2026-03-08T05:00:00Z',
      'America/New_York',
      { start: '02:30', end: '04:00' },
      '2026-03-08T07:30:00.000Z',
    ],
    // Weekdays only, from Friday evening: Monday.
    [
      '2026-07-03T23:59:00Z',
      'Europe/Paris',
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      '2026-07-06T07:00:00.000Z',
    ],
    // The intersection opens when the later zone opens.
    ['2026-07-01T02:00:00Z', 'America/Chicago|America/Denver', {}, '2026-07-01T15:00:00.000Z'],
    // Windows that never overlap (Guam is UTC+10, New York UTC-4): never.
    ['2026-07-01T02:00:00Z', 'America/New_York|Pacific/Guam', { end: '12:00' }, null],
  ] as const)('from %s in %s (%j): %s', (when, key, fields, opening) => {
    expect(iso(nextOpening(window(fields as Partial<SendWindow>), key, at(when)))).toBe(opening);
  });

  it.each([
    ['2026-07-01T15:00:00Z', 'America/New_York', {}, '2026-07-02T00:00:00.000Z'],
    ['2026-07-01T15:00:00Z', 'America/Chicago|America/Denver', {}, '2026-07-02T01:00:00.000Z'],
    ['2026-07-01T15:00:00Z', 'UTC', { end: '24:00' }, '2026-07-02T00:00:00.000Z'],
    [
      '2026-07-03T21:00:00Z',
      'Europe/London',
      { start: '22:00', end: '06:00' },
      '2026-07-04T05:00:00.000Z',
    ],
    [
      '2026-07-04T03:00:00Z',
      'Europe/London',
      { start: '22:00', end: '06:00' },
      '2026-07-04T05:00:00.000Z',
    ],
  ] as const)('open at %s in %s (%j) closes at %s', (when, key, fields, closing) => {
    expect(iso(nextClosing(window(fields as Partial<SendWindow>), key, at(when)))).toBe(closing);
  });
});

describe('effectiveZoneKey', () => {
  it.each([
    ['America/New_York', {}, 'America/New_York', false],
    ['America/Chicago|America/Denver', {}, 'America/Chicago|America/Denver', false],
    // Never together: the zone whose window opens latest (furthest west) takes the message.
    ['America/New_York|Pacific/Guam', { end: '12:00' }, 'America/New_York', true],
    ['Asia/Tokyo|Europe/London', { end: '11:00' }, 'Europe/London', true],
  ] as const)('%s (%j) -> %s', (key, fields, effective, disjoint) => {
    expect(
      effectiveZoneKey(window(fields as Partial<SendWindow>), key, at('2026-07-01T00:00:00Z')),
    ).toEqual({ key: effective, disjoint });
  });
});

describe('windowState', () => {
  it('splits the keys into open and closed, and says when that changes', () => {
    const state = windowState(
      window(),
      ['America/New_York', 'America/Los_Angeles', 'Asia/Tokyo'],
      at('2026-07-01T14:00:00Z'),
    );
    expect(state.open).toEqual(['America/New_York']);
    expect([...state.closed].map(([key, opens]) => [key, iso(opens)])).toEqual([
      ['America/Los_Angeles', '2026-07-01T16:00:00.000Z'],
      ['Asia/Tokyo', '2026-07-02T00:00:00.000Z'],
    ]);
    expect(iso(state.changesAt)).toBe('2026-07-01T16:00:00.000Z');
  });
});

describe('validUntil', () => {
  const HOUR = 3_600_000;

  it('counts from the first opening at or after the batch became valid', () => {
    // Tokyo (UTC+9) opens at 00:00 UTC; New York (UTC-4) is open at 14:00 UTC.
    expect(iso(validUntil(window(), 'Asia/Tokyo', at('2026-07-01T14:00:00Z'), HOUR))).toBe(
      '2026-07-02T01:00:00.000Z',
    );
    expect(iso(validUntil(window(), 'America/New_York', at('2026-07-01T14:00:00Z'), HOUR))).toBe(
      '2026-07-01T15:00:00.000Z',
    );
  });

  it('does not age a message held while its window is closed, even when the batch started inside it', () => {
    // London (UTC+1 in July), 09:00-20:00 local = 08:00-19:00 UTC. Started at 18:00 UTC with 10 h:
    // 1 h that evening, 9 h from the next opening.
    expect(iso(validUntil(window(), 'Europe/London', at('2026-07-01T18:00:00Z'), 10 * HOUR))).toBe(
      '2026-07-02T17:00:00.000Z',
    );
    // 30 h of validity span three days of 11-hour windows.
    expect(iso(validUntil(window(), 'Europe/London', at('2026-07-01T08:00:00Z'), 30 * HOUR))).toBe(
      '2026-07-03T16:00:00.000Z',
    );
  });

  it('counts whole weeks at once after the first, to the opening it lands on', () => {
    const hourly = window({ start: '09:00', end: '10:00' });
    // London 09:00-10:00 BST = 08:00-09:00 UTC: 7 h in the first week, 7 h in the next, 1 h on the 15th.
    expect(iso(validUntil(hourly, 'Europe/London', at('2026-07-01T08:00:00Z'), 15 * HOUR))).toBe(
      '2026-07-15T09:00:00.000Z',
    );
    // 720 h of one-hour windows: 720 days, across DST changes, within their hour.
    const first = at('2026-07-01T08:00:00Z');
    const until = validUntil(hourly, 'Europe/London', first, 720 * HOUR);
    expect(Math.abs(until - (first + 719 * 24 * HOUR + HOUR))).toBeLessThanOrEqual(2 * HOUR);
  });

  it('skips the days the window is closed', () => {
    // Fridays only: from Friday 3 July 18:00 UTC, 1 h left that day, the rest next Friday.
    const fridays = window({ days: ['fri'] });
    expect(iso(validUntil(fridays, 'Europe/London', at('2026-07-03T18:00:00Z'), 3 * HOUR))).toBe(
      '2026-07-10T10:00:00.000Z',
    );
  });
});

import { ManualClock } from '../../common/clock';
import { retryConfig } from '../../config/configuration';
import type { SendWindow } from '../../config/send-window';
import { SendWindows, type WindowedBatch } from './send-windows.service';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const NINE_TO_FIVE: SendWindow = {
  start: '09:00',
  end: '17:00',
  timeZone: 'recipient',
  days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

function newWindows(now: string, validityMs = 10 * HOUR) {
  const clock = new ManualClock(at(now));
  return { clock, windows: new SendWindows(clock, { ...retryConfig(), validityMs }) };
}

const batch = (fields: Partial<WindowedBatch> = {}): WindowedBatch => ({
  id: 'b1',
  sendWindow: NINE_TO_FIVE,
  sendZones: ['UTC', 'Asia/Tokyo'],
  validFrom: new Date('2026-07-01T08:00:00Z'),
  ...fields,
});

describe('SendWindows', () => {
  it('without a window: everything sendable, validity from the batch', () => {
    const { windows } = newWindows('2026-07-01T10:00:00Z');
    const plain = batch({ sendWindow: null, sendZones: [] });
    expect(windows.sendable(plain)).toEqual({
      open: null,
      opensInMs: new Map(),
      opensAt: new Map(),
    });
    expect(windows.validFromMs(plain, null)).toBe(at('2026-07-01T08:00:00Z'));
    expect(windows.expired(plain)).toBe(false);
  });

  it('splits the keys into open and closed, and follows the clock', () => {
    const { clock, windows } = newWindows('2026-07-01T10:00:00Z');
    expect(windows.sendable(batch())).toEqual({
      open: ['UTC'],
      opensInMs: new Map([['Asia/Tokyo', 14 * HOUR]]),
      opensAt: new Map([['Asia/Tokyo', at('2026-07-02T00:00:00Z')]]),
    });
    clock.set(at('2026-07-02T00:30:00Z'));
    expect(windows.sendable(batch()).open).toEqual(['Asia/Tokyo']);
    // Set back (a cached state is never read before the moment it was computed).
    clock.set(at('2026-07-01T10:00:00Z'));
    expect(windows.sendable(batch()).open).toEqual(['UTC']);
  });

  it("counts each key's validity from its window's first opening", () => {
    // Valid for 2 hours: UTC's window opened at 09:00 (after validFrom 08:00), so it runs out at
    // 11:00; Tokyo's opens at 00:00 the next day.
    const { clock, windows } = newWindows('2026-07-01T10:00:00Z', 2 * HOUR);
    expect(windows.validFromMs(batch(), 'UTC')).toBe(at('2026-07-01T09:00:00Z'));
    expect(windows.validFromMs(batch(), 'Asia/Tokyo')).toBe(at('2026-07-02T00:00:00Z'));
    clock.set(at('2026-07-01T11:30:00Z'));
    expect(windows.expiredZones(batch())).toEqual(['UTC']);
    expect(windows.sendable(batch()).open).toEqual([]);
    expect(windows.expired(batch())).toBe(false);
    clock.set(at('2026-07-02T02:30:00Z'));
    expect(windows.expired(batch())).toBe(true);
  });
});

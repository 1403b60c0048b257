import type { SendWindow } from '../../config/send-window';
import { MessageZones } from './message-zones';

const window = (fields: Partial<SendWindow> = {}): SendWindow => ({
  start: '09:00',
  end: '10:00',
  timeZone: 'recipient',
  days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  ...fields,
});
const NOW = Date.parse('2026-07-01T00:00:00Z');

describe('MessageZones', () => {
  it('gives no key without a window, and the named zone to every message', () => {
    expect(new MessageZones(null, NOW).keyOf(0, 'Europe/Paris')).toBeNull();
    const named = new MessageZones(window({ timeZone: 'Asia/Tokyo' }), NOW);
    expect(named.byRecipient).toBe(false);
    expect(named.keyOf(0, undefined)).toBe('Asia/Tokyo');
    expect([...named.keys]).toEqual(['Asia/Tokyo']);
  });

  it("keeps a number's zones whose windows overlap, and warns about those that never do", () => {
    const zones = new MessageZones(window(), NOW);
    expect(zones.byRecipient).toBe(true);
    expect(zones.keyOf(0, 'Europe/Paris')).toBe('Europe/Paris');
    // Chicago and Denver overlap for 09:00-10:00? No: an hour apart, a one-hour window never does.
    expect(zones.keyOf(1, 'America/Chicago|America/Denver')).toBe('America/Denver');
    expect(zones.keyOf(2, 'America/Chicago|America/Denver')).toBe('America/Denver');
    // A number no prefix places: UTC.
    expect(zones.keyOf(3, undefined)).toBe('UTC');
    expect([...zones.keys].sort()).toEqual(['America/Denver', 'Europe/Paris', 'UTC']);
    expect(zones.warning()).toMatchObject({
      code: 'SEND_WINDOW_ZONES_DISJOINT',
      recipients: [1, 2],
      recipientsTotal: 2,
    });
    expect(zones.warning()).not.toHaveProperty('variable');
  });

  it('has no warning when every number fits', () => {
    const zones = new MessageZones(window({ end: '20:00' }), NOW);
    expect(zones.keyOf(0, 'America/Chicago|America/Denver')).toBe('America/Chicago|America/Denver');
    expect(zones.warning()).toBeNull();
  });
});

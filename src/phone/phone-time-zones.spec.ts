import { timeZonesOf, UNKNOWN_ZONE } from './phone-time-zones';

describe('timeZonesOf', () => {
  it.each([
    ['+12025550123', 'America/New_York'],
    ['+13105550123', 'America/Los_Angeles'],
    ['+33612345678', 'Europe/Paris'],
    ['+447911123456', 'Europe/Guernsey|Europe/Isle_of_Man|Europe/London'],
    ['+81312345678', 'Asia/Tokyo'],
    ['+6421123456', 'Pacific/Auckland'],
    ['+80012345678', UNKNOWN_ZONE],
  ])('%s -> %s', (e164, key) => {
    expect(timeZonesOf(e164)).toBe(key);
  });

  it('takes the longest prefix: area codes split across zones', () => {
    expect(timeZonesOf('+12082012345')).toBe('America/Denver');
    expect(timeZonesOf('+12082999999')).toBe('America/Boise|America/Los_Angeles');
  });
});

// Checks UUIDv7 message ids (RFC 9562): format, version and variant, distinctness, time order; and isUuid.
import { isUuid, uuidV7s } from './uuid-v7';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The 48-bit Unix millisecond timestamp in the first 12 hex digits. */
const timestampOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('uuidV7s', () => {
  it.each([[0], [1], [2], [1000], [10_000]])(
    'gives %i distinct valid version-7, variant-10 UUIDs',
    (count) => {
      const ids = uuidV7s(count);
      expect(ids).toHaveLength(count);
      expect(new Set(ids).size).toBe(count);
      expect(ids.filter((id) => !V7.test(id) || !isUuid(id))).toEqual([]);
    },
  );

  it.each<[string, number]>([
    ['the Unix epoch', 0],
    ['a time in 2030', Date.parse('2030-01-31T09:00:00.123Z')],
    ['a time with every low bit set', 2 ** 32 + 2 ** 16 - 1],
    ['the last 48-bit millisecond', 2 ** 48 - 1],
  ])('carries the given time, %s, in its first 48 bits', (_case, now) => {
    for (const id of uuidV7s(3, now)) expect(timestampOf(id)).toBe(now);
  });

  it('carries the current time when none is given', () => {
    const before = Date.now();
    const [id] = uuidV7s(1);
    const after = Date.now();
    expect(timestampOf(id)).toBeGreaterThanOrEqual(before);
    expect(timestampOf(id)).toBeLessThanOrEqual(after);
  });

  it.each<[string, number[]]>([
    ['consecutive milliseconds', [1_900_000_000_000, 1_900_000_000_001, 1_900_000_000_002]],
    [
      'crossing a 16-bit boundary of the timestamp',
      [2 ** 40 + 65_535, 2 ** 40 + 65_536, 2 ** 40 + 65_537],
    ],
    ['far apart', [1, 1_000_000, 1_900_000_000_000]],
  ])('sorts ids of calls with increasing now in time order: %s', (_case, times) => {
    const batches = times.map((now) => uuidV7s(50, now));
    for (let i = 1; i < batches.length; i++) {
      const latestBefore = [...batches[i - 1]].sort().at(-1) as string;
      const earliestNow = [...batches[i]].sort()[0];
      expect(latestBefore < earliestNow).toBe(true);
    }
  });
});

describe('isUuid', () => {
  it.each<[string, string, boolean]>([
    ['a version 7 UUID', '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b', true],
    ['a version 4 UUID', '3b241101-e2bb-4255-8caf-4136c566a962', true],
    ['upper case', '3B241101-E2BB-4255-8CAF-4136C566A962', true],
    ['the nil UUID', '00000000-0000-0000-0000-000000000000', true],
    ['empty', '', false],
    ['without dashes', '3b241101e2bb42558caf4136c566a962', false],
    ['in braces', '{3b241101-e2bb-4255-8caf-4136c566a962}', false],
    ['one digit short', '3b241101-e2bb-4255-8caf-4136c566a96', false],
    ['one digit long', '3b241101-e2bb-4255-8caf-4136c566a9622', false],
    ['a non-hex letter', '3b241101-e2bb-4255-8caf-4136c566a96g', false],
    ['surrounding spaces', ' 3b241101-e2bb-4255-8caf-4136c566a962 ', false],
    ['a trailing newline', '3b241101-e2bb-4255-8caf-4136c566a962\n', false],
    ['dashes in the wrong places', '3b24110-1e2bb-4255-8caf-4136c566a962', false],
    ['a number', '12345', false],
  ])('%s: %j -> %s', (_case, value, expected) => {
    expect(isUuid(value)).toBe(expected);
  });
});

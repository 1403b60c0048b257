import { KeyUsageWrites } from './key-usage';

describe('KeyUsageWrites', () => {
  it.each([
    ['the first use', [0], [true]],
    ['uses within the interval after it', [0, 1, 30_000, 59_999], [true, false, false, false]],
    [
      'the first use once the interval has passed',
      [0, 59_999, 60_000, 60_001],
      [true, false, true, false],
    ],
    ['after a long pause', [0, 3_600_000], [true, true]],
  ])('writes %s', (_name, times, expected) => {
    const writes = new KeyUsageWrites(60_000);
    expect(times.map((t) => writes.due('key', t))).toEqual(expected);
  });

  it('keeps keys apart', () => {
    const writes = new KeyUsageWrites(60_000);
    expect([writes.due('a', 0), writes.due('b', 1), writes.due('a', 2)]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('lets the next use write again when a write failed', () => {
    const writes = new KeyUsageWrites(60_000);
    expect(writes.due('a', 0)).toBe(true);
    writes.failed('a');
    expect(writes.due('a', 1)).toBe(true);
  });

  it('forgets keys whose interval has passed once it remembers many, so memory stays bounded', () => {
    const writes = new KeyUsageWrites(60_000);
    for (let i = 0; i < 10_000; i++) writes.due(`old-${i}`, 0);
    writes.due('recent', 30_000);
    expect(writes.size).toBe(10_001);
    writes.due('new', 70_000);
    // The old ones were due again anyway; the recent one is still held back.
    expect(writes.size).toBe(2);
    expect(writes.due('recent', 70_001)).toBe(false);
  });
});

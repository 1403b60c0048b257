import { firstOccurrences } from './duplicate-numbers';

describe('firstOccurrences', () => {
  it.each<[string, string[][], boolean[][]]>([
    ['all distinct', [['+1', '+2', '+3']], [[true, true, true]]],
    ['a repeat keeps the first', [['+1', '+2', '+1', '+1']], [[true, true, false, false]]],
    [
      'a repeat in a later step',
      [
        ['+1', '+2'],
        ['+3', '+2'],
      ],
      [
        [true, true],
        [true, false],
      ],
    ],
    ['an empty step', [[], ['+1']], [[], [true]]],
  ])('%s', (_case, steps, expected) => {
    const seen = new Set<string>();
    expect(steps.map((numbers) => firstOccurrences(numbers, seen))).toEqual(expected);
  });
});

import { jsonDifferences } from './json-differences';

describe('jsonDifferences', () => {
  it.each([
    ['equal values', { a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, []],
    [
      'a key only on one side',
      { a: 1 },
      { b: 1 },
      ['a: only in the committed file', 'b: only in the code'],
    ],
    ['a changed item of an array', { a: [1, 2] }, { a: [1, 3] }, ['a[1]: committed 2, code 3']],
    ['arrays of other lengths', { a: [1] }, { a: [1, 2] }, ['a: committed [1], code [1,2]']],
    ['a changed root', 1, 'x', ['(the document): committed 1, code "x"']],
  ])('%s', (_name, committed, code, lines) => {
    expect(jsonDifferences(committed, code).lines).toEqual(lines);
  });

  it('counts them all but lists at most the limit, with long values shortened', () => {
    const { lines, total } = jsonDifferences({ a: 'x'.repeat(100), b: 1, c: 1 }, {}, 2);
    expect(total).toBe(3);
    expect(lines).toEqual(['a: only in the committed file', 'b: only in the committed file']);
    expect(jsonDifferences({ a: 'x'.repeat(100) }, { a: 1 }).lines[0]).toMatch(/\.\.\., code 1$/);
  });
});

// Checks that bodies equal as JSON give the same canonical text (so they hash alike) and different ones do not.
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it.each<[string, unknown, unknown]>([
    ['top-level key order', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['nested key order', { x: { a: 1, b: { c: 3, d: 4 } } }, { x: { b: { d: 4, c: 3 }, a: 1 } }],
    ['key order inside array items', [{ a: 1, b: 2 }], [{ b: 2, a: 1 }]],
    [
      'a batch body written in another order',
      {
        text: 'Hi {{name}}',
        recipients: [{ phoneNumber: '+1', variables: { name: 'A', code: '1' } }],
        options: { priority: 'high', autoStart: false },
      },
      {
        options: { autoStart: false, priority: 'high' },
        recipients: [{ variables: { code: '1', name: 'A' }, phoneNumber: '+1' }],
        text: 'Hi {{name}}',
      },
    ],
    [
      'numbers written differently in JSON',
      JSON.parse('{"n": 1.0, "m": 1e2}'),
      JSON.parse('{"m": 100, "n": 1}'),
    ],
    ['empty objects', {}, {}],
    ['empty arrays', [], []],
  ])('equal when only %s differs', (_case, left, right) => {
    expect(canonicalJson(left)).toBe(canonicalJson(right));
  });

  it.each<[string, unknown, unknown]>([
    ['array order', [1, 2], [2, 1]],
    [
      'order of recipients',
      { recipients: [{ p: '+1' }, { p: '+2' }] },
      { recipients: [{ p: '+2' }, { p: '+1' }] },
    ],
    ['a nested value', { a: { b: 1 } }, { a: { b: 2 } }],
    ['a missing key', { a: 1, b: 2 }, { a: 1 }],
    ['a number and its string', { a: 1 }, { a: '1' }],
    ['null and an empty object', { a: null }, { a: {} }],
    ['an empty array and an empty object', [], {}],
    ['true and "true"', true, 'true'],
    ['keys differing in case', { a: 1 }, { A: 1 }],
    ['an object and an array of its values', { 0: 'a' }, ['a']],
  ])('different when %s differs', (_case, left, right) => {
    expect(canonicalJson(left)).not.toBe(canonicalJson(right));
  });

  it.each<[string, unknown, string]>([
    [
      'sorted keys, no whitespace',
      { b: [1, { d: 'x', c: null }], a: true },
      '{"a":true,"b":[1,{"c":null,"d":"x"}]}',
    ],
    ['a string with quotes and unicode', { 'k"': 'é "q" 😀' }, '{"k\\"":"é \\"q\\" 😀"}'],
    ['a plain number', 42, '42'],
    ['null', null, 'null'],
  ])('is valid JSON equal to the input: %s', (_case, value, expected) => {
    const text = canonicalJson(value);
    expect(text).toBe(expected);
    expect(JSON.parse(text)).toEqual(value);
  });
});

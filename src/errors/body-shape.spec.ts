import { bodyShapeProblem, MAX_BODY_DEPTH } from './body-shape';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe('bodyShapeProblem', () => {
  it.each<[string, unknown, { path: string; message: string } | undefined]>([
    [
      'a plain batch body',
      { text: 'Hi', recipients: [{ phoneNumber: '+1', variables: { a: 'b' } }] },
      undefined,
    ],
    ['a primitive body', 'text', undefined],
    ['the deepest allowed body', nested(MAX_BODY_DEPTH - 1), undefined],
    [
      'a body one level too deep',
      nested(MAX_BODY_DEPTH + 1),
      { path: expect.stringMatching(/^\[0\]/), message: expect.stringContaining('deeper') },
    ],
    [
      'a "__proto__" key deep inside',
      JSON.parse('{"recipients":[{"variables":{"__proto__":{"x":"y"}}}]}'),
      { path: 'recipients[0].variables.__proto__', message: 'is not an allowed key' },
    ],
    [
      'a "__proto__" key at the top',
      JSON.parse('{"__proto__":{}}'),
      { path: '__proto__', message: 'is not an allowed key' },
    ],
    ['a "constructor" key (harmless)', { variables: { constructor: 'x' } }, undefined],
  ])('%s', (_case, body, expected) => {
    expect(bodyShapeProblem(body)).toEqual(expected);
  });

  it('walks 100,000 nested recipients without recursion', () => {
    const body = {
      recipients: Array.from({ length: 100_000 }, () => ({
        phoneNumber: '+1',
        variables: { a: 'b' },
      })),
    };
    expect(bodyShapeProblem(body)).toBeUndefined();
  });

  it('does not overflow the stack on a body nested 100,000 deep', () => {
    expect(bodyShapeProblem(nested(100_000))?.message).toContain('deeper');
  });
});

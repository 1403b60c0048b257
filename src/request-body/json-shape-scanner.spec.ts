import { JsonShapeScanner, type ShapeLimits, type ShapeProblem } from './json-shape-scanner';

const LIMITS: ShapeLimits = { maxDepth: 4, maxKeyLayouts: 6, maxContainers: 20, maxElements: 20 };

/** Feeds `text` in chunks of `size` bytes, as a socket would. */
function scan(
  text: string,
  { size = 65_536, paths = true, limits = LIMITS } = {},
): ShapeProblem | undefined {
  const scanner = new JsonShapeScanner(limits, { seed: 7, paths });
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; offset += size) {
    const problem = scanner.write(bytes.subarray(offset, offset + size));
    if (problem) return problem;
  }
  return undefined;
}

const CHUNK_SIZES = [1, 2, 3, 5, 64, 65_536];

describe('JsonShapeScanner', () => {
  it.each(CHUNK_SIZES)('lets an ordinary batch through in chunks of %i bytes', (size) => {
    const recipients = Array.from({ length: 5 }, (_, i) => ({
      phoneNumber: `+1202555010${i}`,
      variables: { name: `A"da {[${i}]} \\`, code: String(i) },
    }));
    const body = JSON.stringify({ text: 'Hi {{name}}', recipients, options: { priority: 'high' } });
    // 13 containers, 3 levels, 6 layouts: text/recipients/options, phoneNumber/variables, name/code.
    const limits = { maxDepth: 4, maxKeyLayouts: 8, maxContainers: 13, maxElements: 5 };
    expect(scan(body, { size, limits })).toBeUndefined();
  });

  it.each(CHUNK_SIZES)(
    'counts a key sequence once however often it repeats (chunks of %i bytes)',
    (size) => {
      const body = JSON.stringify(Array.from({ length: 8 }, () => ({ a: 1, b: { c: 2 } })));
      expect(scan(body, { size })).toBeUndefined();
    },
  );

  it.each(CHUNK_SIZES)(
    'stops at the first key sequence past the limit (chunks of %i bytes)',
    (size) => {
      // Two distinct keys per object: the fourth object brings the seventh layout.
      const body = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ [`k${i}`]: 1 })));
      expect(scan(body, { size })).toEqual({
        kind: 'layouts',
        detail: {
          path: '[6].k6',
          message: expect.stringContaining('past 6 distinct sequences of keys') as string,
        },
      });
    },
  );

  it('counts the same keys in another order as another layout, as V8 does', () => {
    const orders = ['{"a":1,"b":2,"c":3}', '{"c":1,"b":2,"a":3}', '{"b":1,"a":2,"c":3}'];
    expect(scan(`[${orders.join(',')}]`)).toMatchObject({
      kind: 'layouts',
      detail: { path: '[2].b' },
    });
  });

  it.each([
    ['a key', '[{"x":1},{"\\"x":1},{"x\\\\":1}]', 3],
    ['a string value', '[{"x":"\\"y"},{"x":"y\\\\"}]', 1],
  ])('reads escaped quotes and backslashes in %s', (_, body, layouts) => {
    const limits = { ...LIMITS, maxKeyLayouts: layouts };
    for (const size of CHUNK_SIZES) expect(scan(body, { size, limits })).toBeUndefined();
    expect(scan(body, { limits: { ...limits, maxKeyLayouts: layouts - 1 } })).toBeDefined();
  });

  it('does not mistake braces and commas inside strings for structure', () => {
    const body = JSON.stringify({ a: '{{{{{[[[[[,,,,,', b: ['}}}]]]', '"{'] });
    expect(scan(body, { limits: { ...LIMITS, maxContainers: 2, maxDepth: 2 } })).toBeUndefined();
  });

  it.each(CHUNK_SIZES)(
    'refuses nesting past the limit, naming where (chunks of %i bytes)',
    (size) => {
      expect(scan('{"a":[{"b":[1]}]}', { size })).toBeUndefined();
      expect(scan('{"a":[{"b":[[1]]}]}', { size })).toEqual({
        kind: 'depth',
        detail: { path: 'a[0].b[0]', message: 'nests deeper than 4 levels' },
      });
    },
  );

  it('refuses more objects and arrays than the limit, as a matter of size', () => {
    expect(scan(`[${Array(19).fill('[]').join(',')}]`)).toBeUndefined();
    expect(scan(`[${Array(20).fill('{}').join(',')}]`)).toEqual({
      kind: 'containers',
      detail: { path: '[19]', message: 'holds more than 20 objects and arrays' },
    });
  });

  it.each(CHUNK_SIZES)(
    'refuses an array of more elements than the limit, as a matter of size (chunks of %i bytes)',
    (size) => {
      const strings = (n: number) => JSON.stringify({ r: Array.from({ length: n }, String) });
      expect(scan(strings(20), { size })).toBeUndefined();
      expect(scan(strings(21), { size })).toEqual({
        kind: 'elements',
        detail: { path: 'r[20]', message: 'brings the body past 20 array elements' },
      });
    },
  );

  it('counts array elements over the whole body, so nesting arrays does not get around it', () => {
    const nested = JSON.stringify([Array(10).fill(0), Array(10).fill(0), Array(10).fill(0)]);
    expect(scan(nested)).toMatchObject({ kind: 'elements', detail: { path: '[2]' } });
  });

  it('names no path on the fast pass, and the same problem with paths on', () => {
    const body = JSON.stringify(Array.from({ length: 10 }, (_, i) => ({ [`k${i}`]: 1 })));
    const fast = scan(body, { paths: false });
    const located = scan(body, { paths: true });
    expect(fast).toEqual({
      kind: 'layouts',
      detail: { path: '', message: located!.detail.message },
    });
    expect(located!.detail.path).toBe('[6].k6');
  });

  it('keeps answering its first problem', () => {
    const scanner = new JsonShapeScanner(LIMITS, { seed: 1 });
    const first = scanner.write(Buffer.from('[[[[['));
    expect(first?.kind).toBe('depth');
    expect(scanner.write(Buffer.from(']]]]]'))).toBe(first);
  });

  it('survives bytes that are not JSON at all', () => {
    const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const scanner = new JsonShapeScanner(
      { maxDepth: 32, maxKeyLayouts: 100, maxContainers: 100, maxElements: 100 },
      { seed: 3 },
    );
    expect(() => scanner.write(junk)).not.toThrow();
  });
});

// fast-check arbitraries of HTTP requests to the operations of an OpenAPI document: odd values in
// every path parameter, query parameter, header and body, as an attacker or a buggy client sends.
import fc from 'fast-check';
import { exampleOf, type OpenApiDocument, type Operation, type Parameter } from './openapi';
import type { RawRequest } from './raw-http';

/** A repeated array element is copied up to this many bytes in all. */
const MAX_REPEATED_BYTES = 8 * 1024 * 1024;

/** What the generated requests may refer to: ids that exist, and the keys to send. */
export interface FuzzContext {
  doc: OpenApiDocument;
  operations: Operation[];
  ownIds: string[];
  key: string;
}

/** A request and a short description of it for reports (bodies are cut). */
export interface FuzzCase {
  request: RawRequest;
  summary: string;
}

// ---------------------------------------------------------------------------------------------
// Strings and numbers

/** Pieces of odd text: template syntax, control characters, lone surrogates, bidi, combining. */
const PIECES = [
  'a',
  'Z',
  '0',
  ' ',
  '{{name}}',
  '{{code}}',
  '{{a}}',
  '{{',
  '}}',
  '{{ name }}',
  '€',
  'ß',
  '😀',
  '👩‍👩‍👧',
  '\u0000',
  '\u0007',
  '\u001b',
  '\n',
  '\r\n',
  '\t',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\u0301',
  '\ud800',
  '\udfff',
  '\uffff',
  '"',
  '\\',
  '%',
  '%00',
  '/',
  '../',
  '<script>',
  "'",
  '\u2028',
  '^',
  '[',
  '~',
  '+12025550123',
];

const piece = fc.constantFrom(...PIECES);

const BOUNDARY_LENGTHS = [
  0, 1, 2, 15, 16, 17, 32, 33, 99, 100, 101, 127, 128, 129, 159, 160, 161, 255, 256, 511, 512, 513,
  1023, 1024, 1599, 1600, 1601, 3200, 8192, 16_383, 16_384, 16_385, 65_536,
];

/** `unit` repeated to exactly `length` UTF-16 units (a cut may leave half a surrogate pair). */
function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / Math.max(1, unit.length))).slice(0, length);
}

const boundaryString = fc
  .tuple(piece, fc.constantFrom(...BOUNDARY_LENGTHS))
  .map(([unit, length]) => repeatTo(unit, length));

/** Up to 1 MB (in UTF-16 units; 4 MB of UTF-8 at most). */
const hugeString = fc
  .tuple(piece, fc.integer({ min: 65_537, max: 1 << 20 }))
  .map(([unit, length]) => repeatTo(unit, length));

export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 6, arbitrary: fc.array(piece, { maxLength: 12 }).map((p) => p.join('')) },
  { weight: 3, arbitrary: boundaryString },
  { weight: 1, arbitrary: hugeString },
);

/** Numbers as text, in every notation a parser might take or choke on. */
export const oddNumberText = fc.oneof(
  fc.constantFrom(
    '1e2',
    '1E2',
    '0x10',
    '0b11',
    '0o7',
    ' 5',
    '5 ',
    '\t5',
    '+5',
    '-1',
    '0',
    '-0',
    '1.5',
    '5.0',
    '00050',
    '.5',
    '5.',
    'NaN',
    'Infinity',
    '-Infinity',
    '9007199254740993',
    '1e309',
    '1_000',
    '١٢',
    '５',
    '',
    ' ',
    '499',
    '500',
    '501',
    '2147483648',
    '1,5',
    'null',
    'true',
  ),
  fc.integer().map(String),
  fc.double().map(String),
);

/** Numbers as JSON values, including the ones JSON.stringify turns into null. */
const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, 1e308, 5e-324, 2 ** 53 + 1, -(2 ** 63), 0.1, 1600, 1601, 100_001),
);

// ---------------------------------------------------------------------------------------------
// Ids, dates and cursors

const uuidish = (ids: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids) },
    { weight: 2, arbitrary: fc.uuid() },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...ids), fc.nat(5)).map(([id, how]) => {
        switch (how) {
          case 0:
            return id.toUpperCase();
          case 1:
            return id.replace(/-/g, '');
          case 2:
            return `{${id}}`;
          case 3:
            return `${id} `;
          case 4:
            return id.slice(0, -1);
          default:
            return `urn:uuid:${id}`;
        }
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '00000000-0000-0000-0000-000000000000',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
        '00000000-0000-7000-8000-000000000000',
      ),
    },
    { weight: 2, arbitrary: oddString },
  );

/** Dates at and beyond the edges of what JavaScript and PostgreSQL hold, valid or not. */
const oddDate = fc.oneof(
  fc.constantFrom(
    '0000-01-01T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '+275760-09-13T00:00:00.001Z',
    '-000001-01-01T00:00:00.000Z',
    '4714-11-24T00:00:00.000Z',
    '-004713-11-24T00:00:00.000Z',
    '294277-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-01-01T00:00:00+25:00',
    '2024-01-01',
    'infinity',
    '-infinity',
    'epoch',
    'now',
    'not a date',
    '',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer().map((n) => new Date(n).toISOString()),
);

const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** Cursors an attacker forges: well-formed wrappers around odd JSON, and plain garbage. */
export const forgedCursor = (ids: string[]) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record({
          createdAt: fc.oneof(
            { weight: 4, arbitrary: oddDate },
            { weight: 1, arbitrary: oddNumber },
            { weight: 1, arbitrary: fc.constant(null) },
          ),
          id: uuidish(ids),
        })
        .map((v) => base64url(JSON.stringify(v))),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(oddNumber, oddNumberText, fc.constantFrom(null, true, [], {}))
        .map((seq) => base64url(JSON.stringify({ seq }))),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(oddNumberText, oddNumber.map(String), fc.constant('9223372036854775808'))
        .map((id) => base64url(JSON.stringify({ id }))),
    },
    { weight: 1, arbitrary: jsonValue.map((v) => base64url(JSON.stringify(v) ?? 'undefined')) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 64 })
        .map((bytes) => Buffer.from(bytes).toString('base64url')),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '=', '====', 'e30', 'e30=', 'bnVsbA', 'W10', 'x'.repeat(513)),
    },
    { weight: 1, arbitrary: oddString },
  );

// ---------------------------------------------------------------------------------------------
// JSON bodies

const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '',
  ' ',
  'a'.repeat(101),
  'recipients',
  'text',
  'variables',
  'options',
  'phoneNumber',
  '$where',
  'a.b',
  'a[0]',
  '\u0000',
  '\ud800',
];

const oddKey = fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ maxLength: 12 }));

/** An object with these entries as own properties, `__proto__` included as a plain key. */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    Object.defineProperty(value, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return value;
}

const { json: jsonValue } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString,
    oddNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 5 }),
    fc.array(fc.tuple(oddKey, tie('json')), { maxLength: 5 }).map(objectOf),
  ),
}));

/**
 * Text put in place of a leaf after JSON.stringify: numbers JSON has no value for, broken JSON,
 * and nesting far deeper than any schema (built as text: JSON.stringify would recurse).
 */
const rawToken = fc.oneof(
  fc.constantFrom(
    '1e999',
    '-1e999',
    '1E+2',
    '-0',
    '0x10',
    'NaN',
    'Infinity',
    '.5',
    '01',
    '+1',
    'undefined',
    '"\\ud800"',
    '"\\u0000"',
    '"\\x41"',
    '[,]',
    '{,}',
    '"',
  ),
  fc
    .tuple(fc.integer({ min: 30, max: 50_000 }), fc.boolean())
    .map(([depth, arrays]) =>
      arrays
        ? `${'['.repeat(depth)}${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    ),
);

const RAW = '\u0000raw\u0000';

type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'repeat'; at: number; times: number }
  | { kind: 'raw'; at: number; token: string }
  | { kind: 'huge'; at: number; value: string }
  | { kind: 'amplify'; length: number; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: jsonValue }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      at: fc.nat(),
      key: oddKey,
      value: jsonValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('repeat' as const),
      at: fc.nat(),
      times: fc.oneof(fc.integer({ min: 2, max: 60 }), fc.constantFrom(320, 1000, 5000)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('raw' as const), at: fc.nat(), token: rawToken }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('huge' as const), at: fc.nat(), value: hugeString }),
  },
  // Output amplification: the template made of its own variable, the variable's value huge.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('amplify' as const),
      length: fc.constantFrom(160, 800, 1600),
      value: fc.oneof(hugeString, boundaryString),
    }),
  },
);

/** Every string in a JSON value with the key it sits under. */
function strings(value: unknown, key = ''): { holder: Record<string, unknown>; key: string }[] {
  if (Array.isArray(value)) return value.flatMap((item) => strings(item));
  if (!value || typeof value !== 'object') return [];
  const record = value as Record<string, unknown>;
  return Object.keys(record).flatMap((k) =>
    typeof record[k] === 'string' ? [{ holder: record, key: k }] : strings(record[k], key),
  );
}

/** Every place in a JSON value: [container, key] pairs, the root being [holder, 'root']. */
function places(root: { root: unknown }): [Record<string, unknown> | unknown[], string | number][] {
  const found: [Record<string, unknown> | unknown[], string | number][] = [[root, 'root']];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        found.push([value, i]);
        walk(item);
      });
    } else if (value && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        found.push([value as Record<string, unknown>, key]);
        walk((value as Record<string, unknown>)[key]);
      }
    }
  };
  walk(root.root);
  return found;
}

/** Applies the mutations to a copy of `valid`; answers the JSON text, raw tokens spliced in. */
function mutate(valid: unknown, mutations: Mutation[]): string {
  const holder = { root: structuredClone(valid) };
  const raws: string[] = [];
  for (const m of mutations) {
    const all = places(holder);
    const [container, key] = all['at' in m ? m.at % all.length : 0];
    const target = container as Record<string | number, unknown>;
    switch (m.kind) {
      case 'replace':
        target[key] = m.value;
        break;
      case 'delete':
        if (Array.isArray(container)) container.splice(key as number, 1);
        else if (key !== 'root') delete target[key];
        break;
      case 'add': {
        const value = target[key];
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          Object.defineProperty(value, m.key, {
            value: m.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else if (Array.isArray(value)) value.push(m.value);
        break;
      }
      case 'repeat': {
        const value = target[key];
        if (typeof value === 'string') {
          target[key] = repeatTo(value, Math.min(value.length * m.times, 1 << 20));
        } else if (Array.isArray(value) && value.length) {
          // Bounded by size too: the first element may already hold a 1 MB string.
          const each = JSON.stringify(value[0])?.length ?? 1;
          const times = Math.max(1, Math.min(m.times, 5000, Math.floor(MAX_REPEATED_BYTES / each)));
          target[key] = Array.from({ length: times }, () => structuredClone(value[0]));
        }
        break;
      }
      case 'raw':
        raws.push(m.token);
        target[key] = `${RAW}${raws.length - 1}`;
        break;
      case 'huge':
        target[key] = m.value;
        break;
      case 'amplify': {
        const all = strings(holder.root);
        for (const { holder: h, key: k } of all) {
          const name = /\{\{\s*(\w+)\s*\}\}/.exec(h[k] as string)?.[1];
          if (!name) continue;
          h[k] = repeatTo(`{{${name}}}`, m.length);
          for (const value of all) if (value.key === name) value.holder[name] = m.value;
        }
        break;
      }
    }
  }
  let text = JSON.stringify(holder.root) ?? '';
  raws.forEach((token, i) => (text = text.split(JSON.stringify(`${RAW}${i}`)).join(token)));
  return text;
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16le',
  'application/json; charset=latin1',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'application/json; charset=utf-8; x=' + 'a'.repeat(100),
];

const body = (valid: unknown) =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc.array(mutation, { minLength: 0, maxLength: 3 }).map((ms) => ({
        text: mutate(valid, ms),
        contentType: 'application/json',
      })),
    },
    {
      weight: 3,
      arbitrary: jsonValue.map((v) => ({
        text: JSON.stringify(v) ?? '',
        contentType: 'application/json',
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            '',
            'null',
            '"x"',
            '{',
            '{"a":1,}',
            '[]',
            '{"text":"a","text":"b"}',
            '\ufeff{}',
          ),
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('latin1')),
        )
        .map((text) => ({ text, contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...CONTENT_TYPES), fc.array(mutation, { maxLength: 1 }))
        .map(([contentType, ms]) => ({ text: mutate(valid, ms), contentType })),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

// ---------------------------------------------------------------------------------------------
// URLs and headers

/** UTF-8 bytes, percent-encoded except unreserved characters (lone surrogates become U+FFFD). */
function encode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Text Node's HTTP client sends unescaped in a path: odd percent sequences and separators. */
const rawPathPiece = fc.constantFrom(
  '%',
  '%ZZ',
  '%00',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '..',
  '%2e%2e',
  '%2F',
  '//',
  ';x=1',
  '%20',
  '*',
);

const pathValue = (ids: string[]) =>
  fc.oneof(
    { weight: 6, arbitrary: uuidish(ids).map((v) => encode(v.slice(0, 4096))) },
    { weight: 1, arbitrary: rawPathPiece },
  );

/** Header values Node's client accepts: visible ASCII, spaces, tabs and Latin-1. */
const headerText = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...'ab-_.:/ \t\u00e9\u00ff%"\'{}=,;'.split('')),
    maxLength: 40,
  }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
  fc.constantFrom(...BOUNDARY_LENGTHS.filter((n) => n <= 8192)).map((n) => 'k'.repeat(n)),
);

/** A query parameter's value, at most 2,048 characters (the whole request line stays near 16 kB). */
const paramValue = (param: Parameter, ids: string[]): fc.Arbitrary<string> =>
  anyParamValue(param, ids).map((v) => v.slice(0, 2048));

const anyParamValue = (param: Parameter, ids: string[]): fc.Arbitrary<string> => {
  const schema = param.schema ?? {};
  if (param.name === 'cursor') return forgedCursor(ids);
  const odd = oddString.map((s) => s.slice(0, 4096));
  if (schema.enum?.length) {
    const values = schema.enum.map(String);
    return fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...values) },
      { weight: 1, arbitrary: fc.constantFrom(...values).map((v) => v.toUpperCase()) },
      { weight: 1, arbitrary: odd },
    );
  }
  if (schema.type === 'number' || schema.type === 'integer') {
    return fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1000 })
          .map(String),
      },
      { weight: 2, arbitrary: oddNumberText },
      { weight: 1, arbitrary: odd },
    );
  }
  return odd;
};

const query = (operation: Operation, ids: string[]) => {
  const params = operation.parameters.filter((p) => p.in === 'query');
  const one = params.map((param) =>
    fc.option(
      fc.oneof(
        {
          weight: 8,
          arbitrary: paramValue(param, ids).map((v) => [`${encode(param.name)}=${encode(v)}`]),
        },
        // Repeated (an array to a naive parser), bracketed, or without a value.
        {
          weight: 1,
          arbitrary: fc
            .tuple(paramValue(param, ids), paramValue(param, ids))
            .map(([a, b]) => [`${param.name}=${encode(a)}`, `${param.name}=${encode(b)}`]),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            [`${param.name}[]=1`],
            [`${param.name}[a]=1`],
            [`${param.name}`],
            [`${param.name}=`],
          ),
        },
      ),
      // A forged cursor is the point of a cursor parameter: mostly present.
      { freq: param.name === 'cursor' ? 4 : 2, nil: null },
    ),
  );
  // Parameters the document does not have: now and then, so that they do not hide the others.
  const extra = fc.oneof(
    { weight: 9, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__[x]=1',
        'constructor[prototype][x]=1',
        'foo=bar',
        '=',
        '&&',
        'a=%ZZ',
        '%00=1',
      ),
    },
  );
  return fc.tuple(fc.tuple(...one), extra).map(([parts, more]) => {
    const all = [...parts.flatMap((p) => p ?? []), ...(more ? [more] : [])];
    return all.length ? `?${all.join('&')}` : '';
  });
};

const auth = (key: string) =>
  fc.oneof(
    { weight: 16, arbitrary: fc.constant(`Bearer ${key}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom(
          'Bearer ',
          'Bearer',
          'Basic YWRtaW46YWRtaW4=',
          `bearer ${key}`,
          `Bearer ${key} `,
          `Bearer  ${key}`,
          `Bearer ${key.slice(0, -1)}`,
          `Bearer ${key}x`,
          'Bearer salvo_',
          `Bearer ${'a'.repeat(8000)}`,
        ),
        headerText.map((t) => `Bearer ${t}`),
      ),
    },
  );

/** One request to the operation, with a description for reports. */
function requestTo(context: FuzzContext, operation: Operation): fc.Arbitrary<FuzzCase> {
  const pathValues = fc.tuple(...operation.pathParameters.map(() => pathValue(context.ownIds)));
  const headerParams = operation.parameters.filter((p) => p.in === 'header');
  const headers = fc.tuple(...headerParams.map(() => fc.option(headerText, { freq: 2 })));
  const extraHeaders = fc.option(
    fc.record({
      'X-Request-Id': fc.option(headerText, { nil: undefined }),
      Accept: fc.option(
        fc.constantFrom('*/*', 'text/html', 'application/xml', '', 'application/json;q=0'),
        {
          nil: undefined,
        },
      ),
      'Accept-Encoding': fc.option(fc.constantFrom('gzip', 'br', 'identity;q=0', 'x'), {
        nil: undefined,
      }),
    }),
    { freq: 4 },
  );
  const valid = operation.body ? exampleOf(context.doc, operation.body.schema) : {};
  const withBody = operation.method !== 'get';
  return fc
    .record({
      path: pathValues,
      query: query(operation, context.ownIds),
      headers,
      extraHeaders,
      auth: auth(context.key),
      body: withBody ? body(valid) : fc.constant(undefined),
    })
    .map((r) => {
      let i = 0;
      const path = operation.path.replace(/\{[^}]+\}/g, () => r.path[i++]);
      const sent: Record<string, string> = {};
      if (r.auth !== undefined) sent.Authorization = r.auth;
      headerParams.forEach((p, j) => {
        const value = r.headers[j];
        if (value !== null) sent[p.name] = value;
      });
      for (const [name, value] of Object.entries(r.extraHeaders ?? {})) {
        if (value !== undefined) sent[name] = value;
      }
      if (r.body) sent['Content-Type'] = r.body.contentType;
      const bytes = r.body
        ? Buffer.from(r.body.text, r.body.contentType.includes('utf-16') ? 'utf16le' : 'utf8')
        : undefined;
      const request: RawRequest = {
        method: operation.method.toUpperCase(),
        path: `${path}${r.query}`,
        headers: sent,
        body: bytes,
      };
      const shown = (text: string) =>
        text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
      const summary = [
        `${request.method} ${shown(request.path)}`,
        `headers ${shown(JSON.stringify({ ...sent, Authorization: r.auth === `Bearer ${context.key}` ? 'Bearer <key>' : sent.Authorization }))}`,
        r.body
          ? `body (${r.body.contentType}, ${bytes!.length} bytes) ${shown(r.body.text)}`
          : 'no body',
      ].join('\n  ');
      return { request, summary };
    });
}

/** Requests over every operation of the document, the more inputs it takes the more often. */
export function fuzzRequests(context: FuzzContext): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    ...context.operations.map((operation) => ({
      weight: 1 + operation.parameters.length + (operation.body ? 3 : 0),
      arbitrary: requestTo(context, operation),
    })),
  );
}

// Checks POST /api/batch validation: what makes the whole request a 400/413, which recipient problems are
// reported by index, the warnings about unused and misspelt variables, defaults and per-recipient pricing.
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { validateCreateBatch, type ValidatedBatch } from './create-batch.validation';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const LIMITS = { maxRecipients: 5, now: NOW };
const PHONE = '+12025550123';

const secondsFromNow = (seconds: number): string =>
  new Date(NOW.getTime() + seconds * 1000).toISOString();
const recipient = (variables?: unknown, phoneNumber: unknown = PHONE): Record<string, unknown> =>
  variables === undefined ? { phoneNumber } : { phoneNumber, variables };
const body = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  text: 'Hi {{name}}',
  recipients: [recipient({ name: 'Ann' })],
  ...overrides,
});
const without = (field: string): Record<string, unknown> => {
  const copy = body();
  delete copy[field];
  return copy;
};

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError, but nothing was thrown');
}

const validate = (input: unknown, limits = LIMITS): ValidatedBatch =>
  validateCreateBatch(input, limits);

describe('validateCreateBatch: requests rejected as a whole (400 VALIDATION_FAILED)', () => {
  it.each<[string, unknown, string[]]>([
    ['a null body', null, ['']],
    ['an array body', [body()], ['']],
    ['a string body', 'Hi', ['']],
    ['a number body', 42, ['']],
    ['an unknown top-level field', body({ sender: 'ACME' }), ['sender']],
    ['two unknown top-level fields', body({ sender: 'ACME', tag: 'x' }), ['sender', 'tag']],
    ['text missing', without('text'), ['text']],
    ['text empty', body({ text: '' }), ['text']],
    ['text of 1601 characters', body({ text: 'a'.repeat(1601) }), ['text']],
    ['text of 800 emoji (1600 units) plus one', body({ text: '😀'.repeat(800) + 'a' }), ['text']],
    ['text a number', body({ text: 5 }), ['text']],
    ['text null', body({ text: null }), ['text']],
    ['text an array', body({ text: ['Hi'] }), ['text']],
    ['text with a NUL character', body({ text: 'Hi\u0000 {{name}}' }), ['text']],
    ['text with a lone surrogate', body({ text: 'Hi \ud83d {{name}}' }), ['text']],
    ['an invalid placeholder {{first-name}}', body({ text: 'Hi {{first-name}}' }), ['text']],
    ['an empty placeholder {{}}', body({ text: 'Hi {{}}' }), ['text']],
    ['two different invalid placeholders', body({ text: '{{a b}} {{c.d}}' }), ['text', 'text']],
    ['recipients missing', without('recipients'), ['recipients']],
    [
      'recipients an object',
      body({ recipients: { 0: recipient({ name: 'Ann' }) } }),
      ['recipients'],
    ],
    ['recipients a string', body({ recipients: PHONE }), ['recipients']],
    ['recipients null', body({ recipients: null }), ['recipients']],
    ['recipients empty', body({ recipients: [] }), ['recipients']],
    ['options a string', body({ options: 'fast' }), ['options']],
    ['options an array', body({ options: [] }), ['options']],
    ['an unknown option', body({ options: { retries: 3 } }), ['options.retries']],
    ['priority not a known value', body({ options: { priority: 'urgent' } }), ['options.priority']],
    ['priority in capitals', body({ options: { priority: 'HIGH' } }), ['options.priority']],
    ['priority a number', body({ options: { priority: 1 } }), ['options.priority']],
    ['autoStart a string', body({ options: { autoStart: 'true' } }), ['options.autoStart']],
    ['autoStart a number', body({ options: { autoStart: 1 } }), ['options.autoStart']],
    [
      'scheduleTime without an offset',
      body({ options: { scheduleTime: '2030-01-01T10:00:00' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime a date only',
      body({ options: { scheduleTime: '2030-01-02' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime not a date',
      body({ options: { scheduleTime: 'tomorrow' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime month 13',
      body({ options: { scheduleTime: '2030-13-01T10:00:00Z' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime on February 30th',
      body({ options: { scheduleTime: '2030-02-30T10:00:00Z' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime on February 29th of a common year',
      body({ options: { scheduleTime: '2031-02-29T10:00:00Z' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime on April 31st',
      body({ options: { scheduleTime: '2030-04-31T10:00:00+02:00' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime hour 25',
      body({ options: { scheduleTime: '2030-01-02T25:00:00Z' } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime a number',
      body({ options: { scheduleTime: NOW.getTime() + 60_000 } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime an hour ago',
      body({ options: { scheduleTime: secondsFromNow(-3600) } }),
      ['options.scheduleTime'],
    ],
    [
      'scheduleTime 31 s ago',
      body({ options: { scheduleTime: secondsFromNow(-31) } }),
      ['options.scheduleTime'],
    ],
    [
      'problems in text, options and fields together',
      body({ text: '', extra: 1, options: { priority: 'urgent', autoStart: 'no' } }),
      ['extra', 'text', 'options.priority', 'options.autoStart'],
    ],
  ])('%s', (_case, input, paths) => {
    const error = errorOf(() => validate(input));
    expect(error).toBeInstanceOf(ValidationFailed);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.map((detail) => detail.path)).toEqual(paths);
    for (const detail of error.details ?? []) expect(detail.message).toEqual(expect.any(String));
    expect(error.message).toContain(paths.length === 1 ? paths[0] : `${paths.length} problems`);
  });

  it.each<[string, unknown[]]>([
    ['one bad recipient', [recipient({ name: 'Ann' }), 'x']],
    ['a recipient missing its variable', [recipient({})]],
  ])(
    'reports no recipient detail while the request as a whole is invalid: %s',
    (_case, recipients) => {
      const error = errorOf(() => validate(body({ text: '', recipients })));
      expect(error.details?.map((detail) => detail.path)).toEqual(['text']);
    },
  );
});

describe('validateCreateBatch: too many recipients (413 TOO_MANY_RECIPIENTS)', () => {
  it.each<[string, number, unknown[]]>([
    [
      'one over the limit',
      2,
      [recipient({ name: 'A' }), recipient({ name: 'B' }), recipient({ name: 'C' })],
    ],
    ['limit of one', 1, [recipient({ name: 'A' }), recipient({ name: 'B' })]],
    ['even when the recipients are malformed', 2, ['x', 'y', 'z']],
  ])('%s', (_case, maxRecipients, recipients) => {
    const error = errorOf(() => validate(body({ recipients }), { maxRecipients, now: NOW }));
    expect(error).not.toBeInstanceOf(ValidationFailed);
    expect(error.code).toBe('TOO_MANY_RECIPIENTS');
    expect(error.message).toContain(String(recipients.length));
    expect(error.message).toContain(String(maxRecipients));
    expect(error.details).toEqual([{ path: 'recipients', message: expect.any(String) }]);
  });

  it.each<[string, number]>([
    ['exactly the limit', 3],
    ['under the limit', 4],
  ])('accepts %s', (_case, maxRecipients) => {
    const recipients = [
      recipient({ name: 'A' }),
      recipient({ name: 'B' }),
      recipient({ name: 'C' }),
    ];
    const result = validate(body({ recipients }), { maxRecipients, now: NOW });
    expect(result.details).toEqual([]);
    expect(result.phoneNumbers).toEqual([PHONE, PHONE, PHONE]);
  });
});

describe('validateCreateBatch: options', () => {
  it.each<[string, unknown, { priority: string; autoStart: boolean; scheduleTime: Date | null }]>([
    [
      'no options (defaults)',
      undefined,
      { priority: 'normal', autoStart: true, scheduleTime: null },
    ],
    ['empty options (defaults)', {}, { priority: 'normal', autoStart: true, scheduleTime: null }],
    [
      'scheduleTime null',
      { scheduleTime: null },
      { priority: 'normal', autoStart: true, scheduleTime: null },
    ],
    [
      'priority high',
      { priority: 'high' },
      { priority: 'high', autoStart: true, scheduleTime: null },
    ],
    ['priority low', { priority: 'low' }, { priority: 'low', autoStart: true, scheduleTime: null }],
    [
      'priority normal',
      { priority: 'normal' },
      { priority: 'normal', autoStart: true, scheduleTime: null },
    ],
    [
      'autoStart false',
      { autoStart: false },
      { priority: 'normal', autoStart: false, scheduleTime: null },
    ],
    [
      'scheduleTime in UTC',
      { scheduleTime: '2030-01-31T09:00:00Z' },
      { priority: 'normal', autoStart: true, scheduleTime: new Date('2030-01-31T09:00:00Z') },
    ],
    [
      'scheduleTime with a positive offset',
      { scheduleTime: '2030-01-31T10:00:00+01:00' },
      { priority: 'normal', autoStart: true, scheduleTime: new Date('2030-01-31T09:00:00Z') },
    ],
    [
      'scheduleTime with a negative offset and milliseconds',
      { scheduleTime: '2030-01-31T04:00:00.250-05:00' },
      { priority: 'normal', autoStart: true, scheduleTime: new Date('2030-01-31T09:00:00.250Z') },
    ],
    [
      'scheduleTime on a leap day',
      { scheduleTime: '2032-02-29T09:00:00Z' },
      { priority: 'normal', autoStart: true, scheduleTime: new Date('2032-02-29T09:00:00Z') },
    ],
    [
      'scheduleTime without seconds',
      { scheduleTime: '2030-01-31T09:00Z' },
      { priority: 'normal', autoStart: true, scheduleTime: new Date('2030-01-31T09:00:00Z') },
    ],
    [
      'scheduleTime 20 s in the past (clock skew)',
      { scheduleTime: secondsFromNow(-20) },
      { priority: 'normal', autoStart: true, scheduleTime: new Date(NOW.getTime() - 20_000) },
    ],
    [
      'scheduleTime exactly 30 s in the past',
      { scheduleTime: secondsFromNow(-30) },
      { priority: 'normal', autoStart: true, scheduleTime: new Date(NOW.getTime() - 30_000) },
    ],
    [
      'every option at once',
      { priority: 'high', autoStart: false, scheduleTime: secondsFromNow(60) },
      { priority: 'high', autoStart: false, scheduleTime: new Date(NOW.getTime() + 60_000) },
    ],
  ])('%s', (_case, options, expected) => {
    const result = validate(options === undefined ? body() : body({ options }));
    expect(result.options).toEqual(expected);
  });
});

describe('validateCreateBatch: recipient problems come back in details', () => {
  const problem = (index: number, path: string, message: unknown = expect.any(String)) => ({
    path: `recipients[${index}]${path}`,
    index,
    message,
  });

  it.each<[string, string, unknown[], unknown[]]>([
    [
      'a recipient that is a string',
      'Hi {{name}}',
      [recipient({ name: 'A' }), PHONE],
      [problem(1, '')],
    ],
    ['a recipient that is null', 'Hi {{name}}', [null], [problem(0, '')]],
    [
      'a recipient that is an array',
      'Hi {{name}}',
      [recipient({ name: 'A' }), [PHONE]],
      [problem(1, '')],
    ],
    [
      'an unknown recipient field',
      'Hi {{name}}',
      [{ phoneNumber: PHONE, variables: { name: 'A' }, name: 'A' }],
      [problem(0, '.name', 'is not an allowed field')],
    ],
    [
      'phoneNumber a number',
      'Hi {{name}}',
      [recipient({ name: 'A' }, 12025550123)],
      [problem(0, '.phoneNumber')],
    ],
    [
      'phoneNumber missing',
      'Hi {{name}}',
      [{ variables: { name: 'A' } }],
      [problem(0, '.phoneNumber')],
    ],
    ['phoneNumber null', 'Hi', [recipient(undefined, null)], [problem(0, '.phoneNumber')]],
    ['variables a string', 'Hi {{name}}', [recipient('Ann')], [problem(0, '.variables')]],
    ['variables an array', 'Hi {{name}}', [recipient(['Ann'])], [problem(0, '.variables')]],
    [
      'a used variable a number',
      'Code {{code}}',
      [recipient({ code: 1234 })],
      [problem(0, '.variables.code', 'must be a string')],
    ],
    [
      'a used variable null',
      'Code {{code}}',
      [recipient({ code: null })],
      [problem(0, '.variables.code', 'must be a string')],
    ],
    [
      'an unused variable not a string',
      'Hi {{name}}',
      [recipient({ name: 'A', age: 30 })],
      [problem(0, '.variables.age', 'must be a string')],
    ],
    [
      'an unused variable an object',
      'Hi',
      [recipient(undefined), recipient({ meta: { a: 'b' } })],
      [problem(1, '.variables.meta', 'must be a string')],
    ],
    [
      'a variable missing',
      'Hi {{name}}',
      [recipient({})],
      [problem(0, '.variables.name', 'is missing')],
    ],
    [
      'variables absent altogether',
      'Hi {{name}}',
      [recipient(undefined)],
      [problem(0, '.variables.name', 'is missing')],
    ],
    [
      'two variables missing, in template order',
      '{{code}} for {{name}}',
      [recipient({ other: 'x' })],
      [problem(0, '.variables.code', 'is missing'), problem(0, '.variables.name', 'is missing')],
    ],
    [
      'a missing variable given in another case',
      'Code {{code}}',
      [recipient({ Code: '1234' })],
      [problem(0, '.variables.code', expect.stringContaining('"Code"'))],
    ],
    [
      'a missing variable given with an underscore',
      'Hi {{firstName}}',
      [recipient({ first_name: 'Ann' })],
      [problem(0, '.variables.firstName', expect.stringContaining('"first_name"'))],
    ],
    [
      'an empty value',
      'Hi {{name}}',
      [recipient({ name: '' })],
      [problem(0, '.variables.name', 'must not be empty')],
    ],
    [
      'a blank value',
      'Hi {{name}}',
      [recipient({ name: ' \t ' })],
      [problem(0, '.variables.name', 'must not be empty')],
    ],
    [
      'a value with NUL',
      'Hi {{name}}',
      [recipient({ name: 'A\u0000' })],
      [problem(0, '.variables.name')],
    ],
    [
      'a rendered message of 1601 characters',
      'Hi {{name}}',
      [recipient({ name: 'a'.repeat(1598) })],
      [problem(0, '', expect.stringContaining('1601'))],
    ],
    [
      'problems of several recipients, in recipient order',
      'Hi {{name}}',
      [
        recipient({ name: 'A' }),
        recipient({}),
        recipient({ name: 'C' }),
        'x',
        recipient({ name: '' }, 5),
      ],
      [
        problem(1, '.variables.name', 'is missing'),
        problem(3, ''),
        problem(4, '.phoneNumber'),
        problem(4, '.variables.name', 'must not be empty'),
      ],
    ],
  ])('%s', (_case, text, recipients, details) => {
    const result = validate(body({ text, recipients }));
    expect(result.details).toEqual(details);
  });

  it.each<[string, string, unknown[], (number | undefined)[]]>([
    ['a missing variable', 'Hi {{name}}', [recipient({ name: 'A' }), recipient({})], [0]],
    [
      'a bad phone number type',
      'Hi {{name}}',
      [recipient({ name: 'A' }, 5), recipient({ name: 'B' })],
      [1],
    ],
    [
      'a message too long',
      'Hi {{name}}',
      [recipient({ name: 'a'.repeat(1598) }), recipient({ name: 'B' })],
      [1],
    ],
  ])('keeps only the valid recipients, by index: %s', (_case, text, recipients, validIndexes) => {
    const result = validate(body({ text, recipients }));
    const present = recipients
      .map((_, index) => (result.recipients[index] ? index : undefined))
      .filter((i) => i !== undefined);
    expect(present).toEqual(validIndexes);
  });

  it.each<[string, unknown[], (string | undefined)[]]>([
    [
      'phone numbers as given, not yet normalised',
      [recipient({ name: 'A' }, '+1 202-555-0123'), recipient({ name: 'B' }, 'abc')],
      ['+1 202-555-0123', 'abc'],
    ],
    [
      'a hole where the number is not a string',
      [recipient({ name: 'A' }, 5), recipient({ name: 'B' })],
      [undefined, PHONE],
    ],
  ])('%s', (_case, recipients, phoneNumbers) => {
    const result = validate(body({ recipients }));
    expect(Array.from({ length: recipients.length }, (_, i) => result.phoneNumbers[i])).toEqual(
      phoneNumbers,
    );
  });

  it.each<[string, string, number]>([
    ['exactly 1600 characters', 'a'.repeat(1597), 1600],
    ['1600 units of a multi-byte name', 'ж'.repeat(1597), 1600],
  ])('accepts a rendered message of %s', (_case, name) => {
    const result = validate(body({ recipients: [recipient({ name })] }));
    expect(result.details).toEqual([]);
    expect(result.recipients[0]).toBeDefined();
  });
});

describe('validateCreateBatch: warnings and stored variables', () => {
  it.each<[string, string, unknown[], unknown[]]>([
    ['no extra variables', 'Hi {{name}}', [recipient({ name: 'A' })], []],
    [
      'an unused variable given by two recipients',
      'Hi {{name}}',
      [
        recipient({ name: 'A', city: 'Oslo' }),
        recipient({ name: 'B' }),
        recipient({ name: 'C', city: 'Rome' }),
      ],
      [
        {
          code: 'UNUSED_VARIABLE',
          message: expect.stringContaining('"city"'),
          variable: 'city',
          recipients: [0, 2],
          recipientsTotal: 2,
        },
      ],
    ],
    [
      'a near miss in case',
      'Code {{code}}',
      [recipient({ code: '1' }), recipient({ Code: '2' })],
      [
        {
          code: 'NEAR_MISS_VARIABLE',
          message: expect.stringContaining('"code"'),
          variable: 'Code',
          suggestion: 'code',
          recipients: [1],
          recipientsTotal: 1,
        },
      ],
    ],
    [
      'a near miss with a dash',
      'Hi {{first_name}}',
      [recipient({ first_name: 'A', 'first-name': 'A' })],
      [
        expect.objectContaining({
          code: 'NEAR_MISS_VARIABLE',
          variable: 'first-name',
          suggestion: 'first_name',
          recipients: [0],
        }),
      ],
    ],
    [
      'one warning per variable name, in order of first appearance',
      'Hi {{name}}',
      [
        recipient({ name: 'A', zip: '1' }),
        recipient({ Name: 'B', name: 'B', city: 'x' }),
        recipient({ name: 'C', zip: '2' }),
      ],
      [
        expect.objectContaining({ code: 'UNUSED_VARIABLE', variable: 'zip', recipients: [0, 2] }),
        expect.objectContaining({
          code: 'NEAR_MISS_VARIABLE',
          variable: 'Name',
          suggestion: 'name',
          recipients: [1],
        }),
        expect.objectContaining({ code: 'UNUSED_VARIABLE', variable: 'city', recipients: [1] }),
      ],
    ],
    [
      'an unused variable from a recipient that also has a problem',
      'Hi {{name}}',
      [recipient({ city: 'Oslo' })],
      [expect.objectContaining({ code: 'UNUSED_VARIABLE', variable: 'city', recipients: [0] })],
    ],
  ])('%s', (_case, text, recipients, warnings) => {
    const result = validate(body({ text, recipients }), { maxRecipients: 10, now: NOW });
    expect(result.warnings).toEqual(warnings);
  });

  it.each<[string, number]>([
    ['100 recipients', 100],
    ['150 recipients', 150],
  ])('a warning lists at most 100 recipient indexes, with the full count: %s', (_case, count) => {
    const recipients = Array.from({ length: count }, () => recipient({ name: 'A', city: 'Oslo' }));
    const [warning] = validate(body({ recipients }), { maxRecipients: 1000, now: NOW }).warnings;
    expect(warning.recipients).toEqual(Array.from({ length: Math.min(count, 100) }, (_, i) => i));
    expect(warning.recipientsTotal).toBe(count);
    expect(warning.message).toContain(`${count} recipients`);
  });

  it.each<[string, string, Record<string, string>, Record<string, string>]>([
    [
      'unused values dropped',
      'Hi {{name}}',
      { name: 'Ann', city: 'Oslo', Name: 'x' },
      { name: 'Ann' },
    ],
    ['every used value kept', '{{a}} {{b}}', { b: '2', a: '1' }, { a: '1', b: '2' }],
    ['no variables in the template', 'Hello', { city: 'Oslo' }, {}],
    [
      'a variable named like a prototype property',
      'Hi {{constructor}} {{toString}}',
      { constructor: 'x', toString: 'y' },
      { constructor: 'x', toString: 'y' },
    ],
  ])('stores only the template variables: %s', (_case, text, given, stored) => {
    const result = validate(body({ text, recipients: [recipient(given)] }));
    expect(result.details).toEqual([]);
    expect({ ...result.recipients[0].variables }).toEqual({ ...stored });
    expect(Object.keys(result.recipients[0].variables).sort()).toEqual(Object.keys(stored).sort());
  });
});

describe('validateCreateBatch: segments and encoding per recipient', () => {
  it.each<[string, string, Record<string, string>, 'GSM-7' | 'UCS-2', number]>([
    ['a short GSM message', 'Hi {{name}}', { name: 'Ann' }, 'GSM-7', 1],
    ['160 septets rendered', 'a'.repeat(150) + '{{name}}', { name: 'b'.repeat(10) }, 'GSM-7', 1],
    ['161 septets rendered', 'a'.repeat(150) + '{{name}}', { name: 'b'.repeat(11) }, 'GSM-7', 2],
    [
      'a € in the template costing 2 septets: 160',
      '€' + 'a'.repeat(157) + '{{x}}',
      { x: 'a' },
      'GSM-7',
      1,
    ],
    [
      'a € in the template costing 2 septets: 161',
      '€' + 'a'.repeat(157) + '{{x}}',
      { x: 'aa' },
      'GSM-7',
      2,
    ],
    ['a ж in the template', 'ж {{name}}', { name: 'Ann' }, 'UCS-2', 1],
    ['a ж in the template, 71 units rendered', 'ж{{name}}', { name: 'a'.repeat(70) }, 'UCS-2', 2],
    ['a ж only in the value', 'Hi {{name}}', { name: 'Жанна' }, 'UCS-2', 1],
    ['an emoji in the value', 'Hi {{name}}', { name: '😀' }, 'UCS-2', 1],
    [
      'the placeholder text itself not counted',
      '{{a_very_long_variable_name_indeed}}',
      { a_very_long_variable_name_indeed: 'x' },
      'GSM-7',
      1,
    ],
  ])('%s', (_case, text, variables, encoding, segments) => {
    const result = validate(body({ text, recipients: [recipient(variables)] }));
    expect(result.details).toEqual([]);
    expect(result.recipients[0]).toMatchObject({ encoding, segments });
  });

  it('prices each recipient by its own rendered text', () => {
    const result = validate(
      body({
        text: 'Hi {{name}}',
        recipients: [
          recipient({ name: 'Ann' }),
          recipient({ name: 'Жанна' }),
          recipient({ name: 'a'.repeat(200) }),
        ],
      }),
    );
    expect(result.recipients.map(({ encoding, segments }) => ({ encoding, segments }))).toEqual([
      { encoding: 'GSM-7', segments: 1 },
      { encoding: 'UCS-2', segments: 1 },
      { encoding: 'GSM-7', segments: 2 },
    ]);
  });

  it('returns the parsed template with its variables', () => {
    const result = validate(
      body({
        text: '{{code}} for {{name}}, {{code}}',
        recipients: [recipient({ code: '1', name: 'A' })],
      }),
    );
    expect(result.template.text).toBe('{{code}} for {{name}}, {{code}}');
    expect(result.template.variables).toEqual(['code', 'name']);
  });
});

describe('validateCreateBatch: limits that keep the work and the answer bounded', () => {
  const many = (count: number, prefix = 'v') =>
    Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, 'x']));

  it.each<[string, Record<string, unknown>, { path: string; message: RegExp } | undefined]>([
    ['100 variables', { name: 'Ann', ...many(99) }, undefined],
    [
      '101 variables',
      { name: 'Ann', ...many(100) },
      { path: 'recipients[0].variables', message: /101 variables/ },
    ],
    [
      'a variable name of 101 characters',
      { name: 'Ann', ['n'.repeat(101)]: 'x' },
      { path: `recipients[0].variables.${'n'.repeat(100)}`, message: /longer than 100/ },
    ],
    [
      'a variable name with NUL',
      { name: 'Ann', 'a\u0000b': 'x' },
      { path: 'recipients[0].variables.a\u0000b', message: /NUL/ },
    ],
    [
      'a variable name with a lone surrogate',
      { name: 'Ann', '\ud800': 'x' },
      { path: 'recipients[0].variables.\ud800', message: /surrogate/ },
    ],
    ['a value filling the message to 1600 characters', { name: 'a'.repeat(1597) }, undefined],
    [
      'a value of 1601 characters',
      { name: 'a'.repeat(1601) },
      { path: 'recipients[0].variables.name', message: /at most 1600 characters.*1601/ },
    ],
    [
      'an unused value of 1601 characters',
      { name: 'Ann', note: 'a'.repeat(1601) },
      { path: 'recipients[0].variables.note', message: /at most 1600 characters/ },
    ],
    [
      'a long name with a value that is not a string, named cut to 100 characters',
      { name: 'Ann', ['n'.repeat(10_000)]: 5 },
      { path: `recipients[0].variables.${'n'.repeat(100)}`, message: /must be a string/ },
    ],
  ])('%s', (_case, variables, expected) => {
    const result = validate(body({ recipients: [recipient(variables)] }));
    expect(result.details).toEqual(
      expected ? [{ ...expected, index: 0, message: expect.stringMatching(expected.message) }] : [],
    );
  });

  it.each<[string, string, number]>([
    ['a value of 2,000,000 characters', '{{name}}'.repeat(200), 2_000_000],
    ['a value of 1,000,000 characters', '{{name}}'.repeat(200), 1_000_000],
  ])('reports %s by its path, without rendering it', (_case, text, length) => {
    const result = validate(body({ text, recipients: [recipient({ name: 'a'.repeat(length) })] }));
    expect(result.details).toEqual([
      {
        path: 'recipients[0].variables.name',
        index: 0,
        message: `must be at most 1600 characters (UTF-16 units); it has ${length}`,
      },
    ]);
  });

  it('reports a message that renders over 1600 characters with its length', () => {
    const text = '{{a}}{{b}}'.repeat(160); // 1600 characters, 320 placeholders
    const result = validate(
      body({ text, recipients: [recipient({ a: 'x'.repeat(1600), b: 'y'.repeat(1600) })] }),
    );
    expect(result.details).toEqual([
      {
        path: 'recipients[0]',
        index: 0,
        message: 'renders a message of 512000 characters; the limit is 1600',
      },
    ]);
  });

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty'])(
    'takes %s as an ordinary variable name, rendered and stored like any other',
    (name) => {
      const result = validate(
        body({ text: `Hi {{${name}}}`, recipients: [recipient({ [name]: 'Ann' })] }),
      );
      expect(result.details).toEqual([]);
      expect(result.recipients[0]).toMatchObject({ variables: { [name]: 'Ann' }, segments: 1 });
    },
  );

  it.each(['constructor', 'toString', 'valueOf'])(
    'reports {{%s}} without a value as missing',
    (name) => {
      const result = validate(body({ text: `Hi {{${name}}}`, recipients: [recipient({})] }));
      expect(result.details).toEqual([
        { path: `recipients[0].variables.${name}`, index: 0, message: 'is missing' },
      ]);
    },
  );

  it('keeps the first 100 warnings and counts them all', () => {
    const recipients = Array.from({ length: 3 }, (_, r) =>
      recipient({ name: 'Ann', ...many(90, `r${r}_`) }),
    );
    const result = validate(body({ recipients }), { maxRecipients: 5, now: NOW });
    expect(result.warnings).toHaveLength(100);
    expect(result.warningsTotal).toBe(270);
  });

  it('hints at a near miss of a missing variable among many given ones', () => {
    const result = validate(body({ recipients: [recipient({ Name: 'Ann', ...many(90) })] }));
    expect(result.details).toEqual([
      {
        path: 'recipients[0].variables.name',
        index: 0,
        message: expect.stringContaining('"Name"'),
      },
    ]);
  });
});

describe('validateCreateBatch: "__proto__" can never reach an object prototype', () => {
  it('refuses it as a given variable name', () => {
    const result = validate(
      body({ recipients: [recipient(JSON.parse('{"name":"Ann","__proto__":"x"}'))] }),
    );
    expect(result.details).toEqual([
      {
        path: 'recipients[0].variables.__proto__',
        index: 0,
        message: 'is not an allowed variable name',
      },
    ]);
  });

  it('refuses it as a template variable', () => {
    const error = errorOf(() => validate(body({ text: 'Hi {{__proto__}}' })));
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'text', message: expect.stringContaining('__proto__') }),
    ]);
  });
});

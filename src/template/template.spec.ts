// Checks template parsing, rendering and near-miss hints against the Template module rules.
import {
  findNearMiss,
  normalizeVariableName,
  parseTemplate,
  renderStoredMessage,
  renderTemplate,
  type Placeholder,
} from './template';

const ph = (variable: string, raw = `{{${variable}}}`): Placeholder => ({ variable, raw });

describe('parseTemplate', () => {
  it.each<[string, string, string[], (string | Placeholder)[], string[]?]>([
    ['empty text', '', [], []],
    ['no placeholders', 'Hello there', [], ['Hello there']],
    ['a placeholder without spaces', 'Hi {{name}}!', ['name'], ['Hi ', ph('name'), '!']],
    [
      'a placeholder with spaces',
      'Hi {{ name }}!',
      ['name'],
      ['Hi ', ph('name', '{{ name }}'), '!'],
    ],
    ['a trailing space only', '{{name }}', ['name'], [ph('name', '{{name }}')]],
    ['a leading space only', '{{ name}}', ['name'], [ph('name', '{{ name}}')]],
    ['tabs and newlines inside the braces', '{{\tname\n}}', ['name'], [ph('name', '{{\tname\n}}')]],
    ['adjacent placeholders', '{{a}}{{b}}', ['a', 'b'], [ph('a'), ph('b')]],
    [
      'a repeated variable listed once',
      'Hi {{name}}, yes {{ name }}',
      ['name'],
      ['Hi ', ph('name'), ', yes ', ph('name', '{{ name }}')],
    ],
    [
      'variables in order of first appearance',
      '{{b}} {{a}} {{b}}',
      ['b', 'a'],
      [ph('b'), ' ', ph('a'), ' ', ph('b')],
    ],
    [
      'names that differ only by case',
      '{{Name}} {{name}}',
      ['Name', 'name'],
      [ph('Name'), ' ', ph('name')],
    ],
    [
      'digits and underscores',
      '{{_id}}{{code2}}{{9}}',
      ['_id', 'code2', '9'],
      [ph('_id'), ph('code2'), ph('9')],
    ],
    ['single braces', 'Use {a} here', [], ['Use {a} here']],
    ['an unclosed opening', 'Hi {{name', [], ['Hi {{name']],
    ['a closing without opening', 'Hi name}}', [], ['Hi name}}']],
    ['a half-closed placeholder', 'Hi {{name}', [], ['Hi {{name}']],
    ['spaced single braces', '{ {name} }', [], ['{ {name} }']],
    ['triple braces', '{{{name}}}', ['name'], ['{', ph('name'), '}']],
    [
      'an invalid placeholder merged into the surrounding literal',
      'Hi {{first-name}}, {{name}}',
      ['name'],
      ['Hi {{first-name}}, ', ph('name')],
      ['{{first-name}}'],
    ],
    [
      'only invalid placeholders',
      'a {{}} b {{ a b }} c',
      [],
      ['a {{}} b {{ a b }} c'],
      ['{{}}', '{{ a b }}'],
    ],
    [
      '{{__proto__}}, which no value could safely fill',
      'Hi {{__proto__}} {{name}}',
      ['name'],
      ['Hi {{__proto__}} ', ph('name')],
      ['{{__proto__}}'],
    ],
  ])('parses %s', (_case, text, variables, parts, problemPlaceholders = []) => {
    const { template, problems } = parseTemplate(text);
    expect(template.text).toBe(text);
    expect(template.variables).toEqual(variables);
    expect(template.parts).toEqual(parts);
    expect(problems.map((p) => p.placeholder)).toEqual(problemPlaceholders);
  });

  it.each<[string, string[]]>([
    ['{{first-name}}', ['{{first-name}}']],
    ['{{}}', ['{{}}']],
    ['{{   }}', ['{{   }}']],
    ['{{ a b }}', ['{{ a b }}']],
    ['{{first.name}}', ['{{first.name}}']],
    ['{{naïve}}', ['{{naïve}}']],
    ['{{$x}} and {{ok}}', ['{{$x}}']],
    ['{{a-b}} twice {{a-b}}', ['{{a-b}}']],
    ['{{a-b}} {{ a-b }}', ['{{a-b}}', '{{ a-b }}']],
  ])('reports invalid placeholders in %j', (text, placeholders) => {
    const { template, problems } = parseTemplate(text);
    expect(problems.map((p) => p.placeholder)).toEqual(placeholders);
    for (const problem of problems) {
      expect(problem.message).toMatch(
        /^placeholder .+ (is not a valid variable|is empty): [^.]+$/s,
      );
      expect(problem.message).toContain(problem.placeholder);
    }
    for (const placeholder of placeholders) expect(template.variables).not.toContain(placeholder);
  });

  it.each<[string, string]>([
    [
      '{{first-name}}',
      'placeholder {{first-name}} is not a valid variable: names use letters, digits and underscore',
    ],
    [
      '{{}}',
      'placeholder {{}} is empty: put a variable name of letters, digits and underscore between the braces',
    ],
  ])('explains %s in one sentence', (text, message) => {
    expect(parseTemplate(text).problems).toEqual([{ placeholder: text, message }]);
  });

  it.each<[string]>([['{a}'], ['{{'], ['}}'], ['{{a}'], ['{{{']])(
    'treats lone braces in %j as text, not a problem',
    (text) => {
      const { template, problems } = parseTemplate(text);
      expect(problems).toEqual([]);
      expect(template.parts).toEqual([text]);
    },
  );
});

describe('renderTemplate', () => {
  it.each<[string, string, Record<string, unknown>, string, string[]]>([
    [
      'all values present',
      'Hi {{first}} {{last}}!',
      { first: 'Ada', last: 'Lovelace' },
      'Hi Ada Lovelace!',
      [],
    ],
    ['spaced placeholders', 'Hi {{ first }}!', { first: 'Ada' }, 'Hi Ada!', []],
    ['a repeated variable', '{{x}}-{{ x }}', { x: 'y' }, 'y-y', []],
    ['an empty string value', 'Hi {{name}}!', { name: '' }, 'Hi !', []],
    ['extra values ignored', 'Hi {{name}}', { name: 'Ada', other: 'x' }, 'Hi Ada', []],
    ['no placeholders', 'Plain text', {}, 'Plain text', []],
    ['a value that looks like a placeholder', '{{a}}{{b}}', { a: '{{b}}', b: 'B' }, '{{b}}B', []],
    ['a missing value left as written', 'Hi {{ name }}!', {}, 'Hi {{ name }}!', ['name']],
    ['a missing variable listed once', '{{a}} {{ a }}', {}, '{{a}} {{ a }}', ['a']],
    [
      'missing in order of first appearance',
      '{{b}} {{a}} {{b}}',
      { c: 'x' },
      '{{b}} {{a}} {{b}}',
      ['b', 'a'],
    ],
    ['some present, some missing', '{{a}} {{b}}', { a: 'A' }, 'A {{b}}', ['b']],
    ['a number treated as missing', 'n={{n}}', { n: 5 }, 'n={{n}}', ['n']],
    ['null treated as missing', '{{n}}', { n: null }, '{{n}}', ['n']],
    ['undefined treated as missing', '{{n}}', { n: undefined }, '{{n}}', ['n']],
    ['a boolean treated as missing', '{{n}}', { n: true }, '{{n}}', ['n']],
    ['an object treated as missing', '{{n}}', { n: { toString: () => 'x' } }, '{{n}}', ['n']],
    ['a different case treated as missing', '{{name}}', { Name: 'Ada' }, '{{name}}', ['name']],
    [
      'an inherited property treated as missing',
      '{{constructor}}',
      {},
      '{{constructor}}',
      ['constructor'],
    ],
    [
      'an invalid placeholder left literal',
      '{{first-name}} {{a}}',
      { a: 'x', 'first-name': 'y' },
      '{{first-name}} x',
      [],
    ],
    [
      'an inherited method treated as missing',
      '{{toString}}{{valueOf}}',
      {},
      '{{toString}}{{valueOf}}',
      ['toString', 'valueOf'],
    ],
    [
      'own values named like Object.prototype members',
      '{{constructor}} {{toString}} {{valueOf}}',
      { constructor: 'a', toString: 'b', valueOf: 'c' },
      'a b c',
      [],
    ],
    [
      'a value from a prototype chain ignored',
      '{{inherited}}',
      Object.create({ inherited: 'x' }) as Record<string, unknown>,
      '{{inherited}}',
      ['inherited'],
    ],
  ])('renders %s', (_case, text, values, rendered, missing) => {
    expect(renderTemplate(parseTemplate(text).template, values)).toEqual({ rendered, missing });
  });

  it.each<[string, string, Record<string, unknown>, number, number, string[]]>([
    ['exactly at the limit', '{{a}}{{a}}', { a: 'x'.repeat(5) }, 10, 10, []],
    ['one past the limit', '{{a}}{{a}}', { a: 'x'.repeat(5) }, 9, 10, []],
    ['literal text past the limit', 'Hello {{a}}!', { a: 'x' }, 5, 8, []],
    ['missing variables still listed past the limit', '{{a}}{{b}}', { a: 'xxx' }, 3, 8, ['b']],
    [
      '320 placeholders of a 1,000,000-character value',
      '{{a}}'.repeat(320),
      { a: 'x'.repeat(1_000_000) },
      1600,
      320_000_000,
      [],
    ],
  ])(
    'stops building the message %s, reporting its length',
    (_case, text, values, maxLength, length, missing) => {
      const rendering = renderTemplate(parseTemplate(text).template, values, maxLength);
      if (length <= maxLength) {
        expect(rendering).toEqual({ rendered: expect.any(String), missing });
        expect(rendering.rendered).toHaveLength(length);
      } else {
        expect(rendering).toEqual({ rendered: undefined, length, missing });
      }
    },
  );

  it('defaults the limit to 1600 characters', () => {
    const { template } = parseTemplate('{{a}}{{a}}');
    expect(renderTemplate(template, { a: 'x'.repeat(800) }).rendered).toHaveLength(1600);
    expect(renderTemplate(template, { a: 'x'.repeat(801) })).toEqual({
      rendered: undefined,
      length: 1602,
      missing: [],
    });
  });
});

describe('renderStoredMessage', () => {
  it('renders a message within the limit and refuses one past it', () => {
    const { template } = parseTemplate('Hi {{a}}');
    expect(renderStoredMessage(template, { a: 'Ann' })).toBe('Hi Ann');
    expect(() => renderStoredMessage(template, { a: 'x'.repeat(1600) })).toThrow(RangeError);
  });
});

describe('normalizeVariableName', () => {
  it.each<[string, string]>([
    ['firstName', 'firstname'],
    ['First_Name', 'firstname'],
    ['first-name', 'firstname'],
    ['FIRST__NAME', 'firstname'],
    ['code2', 'code2'],
    ['_-_', ''],
  ])('normalizes %j to %j', (name, normalized) => {
    expect(normalizeVariableName(name)).toBe(normalized);
  });
});

describe('findNearMiss', () => {
  const vars = ['firstName', 'code'];

  it.each<[string, readonly string[], string | undefined]>([
    ['FirstName', vars, 'firstName'],
    ['first_name', vars, 'firstName'],
    ['first-name', vars, 'firstName'],
    ['firstname', vars, 'firstName'],
    ['FIRST_NAME', vars, 'firstName'],
    ['CODE', vars, 'code'],
    ['firstName', vars, undefined],
    ['lastName', vars, undefined],
    ['first', vars, undefined],
    ['', vars, undefined],
    ['_', ['_'], undefined],
    ['-', ['_'], undefined],
    ['firstName', ['first_name', 'firstName'], undefined],
    ['first-name', ['first_name', 'firstName'], 'first_name'],
    ['firstName', [], undefined],
  ])('maps %j against %j to %j', (given, templateVariables, expected) => {
    expect(findNearMiss(given, templateVariables)).toBe(expected);
  });
});

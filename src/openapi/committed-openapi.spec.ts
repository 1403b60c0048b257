import { openApiDrift } from './committed-openapi';
import { canonicalOpenApiJson } from './openapi-document';

const committed = canonicalOpenApiJson({
  openapi: '3.0.0',
  paths: { '/api/keys': { get: { operationId: 'list' } } },
  components: { schemas: { Key: { required: ['id', 'name'] } } },
});

describe('openApiDrift', () => {
  it('is silent when the committed text is the code document', () => {
    expect(openApiDrift(committed, committed)).toBeUndefined();
  });

  it('says what to run and where the two differ', () => {
    const code = canonicalOpenApiJson({
      openapi: '3.0.0',
      paths: {
        '/api/keys': { get: { operationId: 'listKeys' }, post: { operationId: 'create' } },
      },
      components: { schemas: { Key: { required: ['id'] } } },
    });
    const drift = openApiDrift(committed, code)!;
    expect(drift).toContain('Run `npm run openapi`');
    expect(drift.split('\n').slice(1)).toEqual([
      '3 differences (committed file, then code):',
      '  components.schemas.Key.required: committed ["id","name"], code ["id"]',
      '  paths./api/keys.get.operationId: committed "list", code "listKeys"',
      '  paths./api/keys.post: only in the code',
    ]);
  });

  it.each([
    ['missing', undefined, 'docs/openapi.json is missing'],
    ['not JSON', '{', 'docs/openapi.json is not valid JSON'],
    ['formatted otherwise', JSON.stringify(JSON.parse(committed)), 'other formatting'],
  ])('names a committed file that is %s', (_name, text, message) => {
    expect(openApiDrift(text, committed)).toContain(message);
  });
});

describe('canonicalOpenApiJson', () => {
  it('sorts keys at every level, keeps array order and ends with a newline', () => {
    expect(canonicalOpenApiJson({ b: { d: 1, c: [3, 1] }, a: null })).toBe(
      '{\n  "a": null,\n  "b": {\n    "c": [\n      3,\n      1\n    ],\n    "d": 1\n  }\n}\n',
    );
  });
});

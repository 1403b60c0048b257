// Checks the typed environment readers: fallbacks for unset or blank variables, and errors that name the variable.
import { ConfigError, int, num, oneOf, optionalStr, origins, str, url } from './env';

type Env = Record<string, string | undefined>;

describe('str and optionalStr', () => {
  it.each<[string, Env, string, string | undefined]>([
    ['unset', {}, 'fallback', undefined],
    ['empty', { NAME: '' }, 'fallback', undefined],
    ['only whitespace', { NAME: ' \t ' }, 'fallback', undefined],
    ['set', { NAME: 'value' }, 'value', 'value'],
    ['set with surrounding whitespace', { NAME: '  value \n' }, 'value', 'value'],
  ])('%s', (_case, env, expectedStr, expectedOptional) => {
    expect(str(env, 'NAME', 'fallback')).toBe(expectedStr);
    expect(optionalStr(env, 'NAME')).toBe(expectedOptional);
  });
});

describe('int', () => {
  it.each<[string, string | undefined, number]>([
    ['unset', undefined, 7],
    ['empty', '', 7],
    ['a number', '3000', 3000],
    ['padded', ' 42 ', 42],
    ['zero at the minimum', '0', 0],
    ['the maximum', '65535', 65535],
  ])('reads %s', (_case, value, expected) => {
    expect(int({ PORT: value }, 'PORT', 7, { min: 0, max: 65535 })).toBe(expected);
  });

  it.each<[string, string, RegExp]>([
    ['letters', 'abc', /PORT must be an integer, got "abc"/],
    ['a fraction', '3.5', /PORT must be an integer/],
    ['a number with a unit', '3000ms', /PORT must be an integer/],
    ['hexadecimal', '0x10', /PORT must be an integer/],
    ['above the maximum', '70000', /PORT must be between 0 and 65535, got 70000/],
    ['below the minimum', '-1', /PORT must be between 0 and 65535, got -1/],
  ])('rejects %s, naming the variable', (_case, value, message) => {
    const read = () => int({ PORT: value }, 'PORT', 7, { min: 0, max: 65535 });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});

describe('num', () => {
  it.each<[string, string | undefined, number]>([
    ['unset', undefined, 0.5],
    ['blank', '  ', 0.5],
    ['a fraction', '0.25', 0.25],
    ['an integer at the maximum', '1', 1],
    ['zero', '0', 0],
  ])('reads %s', (_case, value, expected) => {
    expect(num({ RATE: value }, 'RATE', 0.5, { min: 0, max: 1 })).toBe(expected);
  });

  it.each<[string, string, RegExp]>([
    ['letters', 'half', /RATE must be a number, got "half"/],
    ['infinity', 'Infinity', /RATE must be a number/],
    ['above the maximum', '1.5', /RATE must be between 0 and 1, got 1.5/],
    ['below the minimum', '-0.1', /RATE must be between 0 and 1/],
  ])('rejects %s, naming the variable', (_case, value, message) => {
    expect(() => num({ RATE: value }, 'RATE', 0.5, { min: 0, max: 1 })).toThrow(message);
  });
});

describe('oneOf', () => {
  const ROLES = ['all', 'api', 'worker'] as const;
  it.each<[string, string | undefined, string]>([
    ['unset', undefined, 'all'],
    ['empty', '', 'all'],
    ['an allowed value', 'worker', 'worker'],
    ['an allowed value, padded', ' api ', 'api'],
  ])('reads %s', (_case, value, expected) => {
    expect(oneOf({ ROLE: value }, 'ROLE', ROLES, 'all')).toBe(expected);
  });

  it.each<[string, string]>([
    ['an unknown value', 'boss'],
    ['another case', 'API'],
  ])('rejects %s, naming the variable and the choices', (_case, value) => {
    expect(() => oneOf({ ROLE: value }, 'ROLE', ROLES, 'all')).toThrow(
      `Invalid configuration: ROLE must be one of all, api, worker, got "${value}"`,
    );
  });
});

describe('url', () => {
  const PROTOCOLS = ['postgres:', 'postgresql:'];
  it.each<[string, string | undefined, string]>([
    ['unset', undefined, 'postgres://localhost/db'],
    ['blank', ' ', 'postgres://localhost/db'],
    ['a postgres URL', 'postgres://u:p@db:5432/x', 'postgres://u:p@db:5432/x'],
    ['a postgresql URL', 'postgresql://db/x', 'postgresql://db/x'],
  ])('reads %s', (_case, value, expected) => {
    expect(url({ DB: value }, 'DB', 'postgres://localhost/db', PROTOCOLS)).toBe(expected);
  });

  it.each<[string, string, RegExp]>([
    ['another protocol', 'mysql://x', /DB must use postgres: or postgresql:, got "mysql:"/],
    ['not a URL', 'localhost:5432', /DB must use/],
    ['no protocol at all', 'db/x', /DB must be a URL, got "db\/x"/],
  ])('rejects %s, naming the variable', (_case, value, message) => {
    expect(() => url({ DB: value }, 'DB', 'postgres://localhost/db', PROTOCOLS)).toThrow(message);
  });
});

describe('origins', () => {
  it.each<[string, string | undefined, string[]]>([
    ['unset', undefined, []],
    ['blank', ' ', []],
    ['one origin', 'https://app.example.com', ['https://app.example.com']],
    ['a port', 'http://localhost:5173', ['http://localhost:5173']],
    [
      'a list, spaced, with an empty item',
      ' https://a.example.com , ,http://b.example.com:8080 ',
      ['https://a.example.com', 'http://b.example.com:8080'],
    ],
    ['as a browser sends it', 'HTTPS://App.Example.COM:443/', ['https://app.example.com']],
    ['a repeat once', 'https://a.example.com,https://a.example.com', ['https://a.example.com']],
  ])('reads %s', (_case, value, expected) => {
    expect(origins({ CORS: value }, 'CORS')).toEqual(expected);
  });

  it.each<[string, string]>([
    ['a bare host', 'app.example.com'],
    ['a wildcard', '*'],
    ['a path', 'https://app.example.com/app'],
    ['a query', 'https://app.example.com?x=1'],
    ['an empty query', 'https://app.example.com/?'],
    ['a fragment', 'https://app.example.com#top'],
    ['credentials', 'https://user:pw@app.example.com'],
    ['another scheme', 'ftp://files.example.com'],
    ['one bad item among good ones', 'https://ok.example.com,nope'],
  ])('rejects %s, naming the variable', (_case, value) => {
    expect(() => origins({ CORS: value }, 'CORS')).toThrow(
      /^Invalid configuration: CORS must list origins such as https:\/\/app\.example\.com/,
    );
  });
});

import {
  parseRouteKey,
  parseRoutes,
  routeFor,
  routeKey,
  singleRoute,
  type RouteTable,
} from './routes';

const CONFIGURED = ['simulated', 'twilio', 'smpp'] as const;
type Provider = (typeof CONFIGURED)[number];

const table = (value: string): RouteTable<Provider> => parseRoutes(value, CONFIGURED);

describe('routeFor', () => {
  const NESTED = '+4=simulated;+44=twilio;+447=smpp,twilio;*=twilio,smpp';
  const REVERSED = '*=twilio,smpp;+447=smpp,twilio;+44=twilio;+4=simulated';

  it.each([
    [NESTED, '+447700900123', ['smpp', 'twilio']],
    [NESTED, '+442071838750', ['twilio']],
    [NESTED, '+4915123456789', ['simulated']],
    [NESTED, '+12025550123', ['twilio', 'smpp']],
    [NESTED, '+33612345678', ['twilio', 'smpp']],
    // The longest match wins whatever order the routes were written in.
    [REVERSED, '+447700900123', ['smpp', 'twilio']],
    [REVERSED, '+442071838750', ['twilio']],
    [REVERSED, '+4915123456789', ['simulated']],
    // A prefix may be the whole number.
    ['+447700900123=smpp;*=twilio', '+447700900123', ['smpp']],
    ['+447700900123=smpp;*=twilio', '+447700900124', ['twilio']],
    // Sharing the first digits of a longer prefix is no match.
    ['+447=smpp;*=twilio', '+442071838750', ['twilio']],
    ['+447=smpp;*=twilio', '+44', ['twilio']],
    // Text that is not E.164 goes to * rather than failing.
    ['+44=smpp;*=twilio', '+4a4', ['twilio']],
    ['+44=smpp;*=twilio', '', ['twilio']],
  ])('with %s sends %p to %p', (routes, e164, providers) => {
    expect(routeFor(table(routes), e164).providers).toEqual(providers);
  });

  it('routes 100,000 numbers in a few tens of milliseconds', () => {
    const busy = table(
      '+1=twilio,smpp;+44=smpp,twilio;+447=smpp;+33=simulated;+3361=twilio;*=twilio',
    );
    const numbers = Array.from({ length: 100_000 }, (_, i) =>
      i % 2 === 0
        ? `+4477009${String(i).padStart(5, '0')}`
        : `+1202555${String(i).padStart(4, '0')}`,
    );
    const started = performance.now();
    const keys = numbers.map((e164) => routeFor(busy, e164).key);
    const elapsedMs = performance.now() - started;

    expect(keys.filter((key) => key === 'smpp')).toHaveLength(50_000);
    expect(keys.filter((key) => key === 'twilio,smpp')).toHaveLength(50_000);
    // Loose: 10 to 15 ms here, cold, under ts-jest on two shared cores. The bound catches a lookup
    // that scans every route or builds strings per number, not a slower machine.
    expect(elapsedMs).toBeLessThan(50);
  });
});

describe('parseRoutes', () => {
  it('keeps each route as written, providers in order, whitespace around tokens ignored', () => {
    const parsed = table(' +44 = smpp , twilio ;\t+1=twilio,smpp ; * = twilio ');
    expect(parsed.routes).toEqual([
      { prefix: '+44', providers: ['smpp', 'twilio'], key: 'smpp,twilio' },
      { prefix: '+1', providers: ['twilio', 'smpp'], key: 'twilio,smpp' },
      { prefix: '*', providers: ['twilio'], key: 'twilio' },
    ]);
    expect(parsed.fallback).toBe(parsed.routes[2]);
    expect(routeFor(parsed, '+447700900123').providers).toEqual(['smpp', 'twilio']);
  });

  it('accepts a table of only *', () => {
    expect(routeFor(table('*=smpp,simulated'), '+12025550123').providers).toEqual([
      'smpp',
      'simulated',
    ]);
  });

  it('accepts prefixes of 1 and 15 digits', () => {
    const parsed = table('+1=smpp;+123456789012345=simulated;*=twilio');
    expect(routeFor(parsed, '+123456789012345').providers).toEqual(['simulated']);
  });

  it.each([
    ['', 'entry 1 of 1 is empty'],
    ['+44=smpp;;*=twilio', 'entry 2 of 3 is empty'],
    ['+44=smpp;*=twilio;', 'entry 3 of 3 is empty'],
    ['+44=smpp; ;*=twilio', 'entry 2 of 3 is empty'],
    ['+44 smpp;*=twilio', 'entry "+44 smpp" must be PREFIX=PROVIDER[,PROVIDER...] with one "="'],
    ['+44=smpp=twilio;*=twilio', 'entry "+44=smpp=twilio" must be PREFIX=PROVIDER'],
    ['44=smpp;*=twilio', 'entry "44=smpp" has a bad prefix "44"'],
    ['+=smpp;*=twilio', 'has a bad prefix "+"'],
    ['+4a=smpp;*=twilio', 'has a bad prefix "+4a"'],
    ['+4 4=smpp;*=twilio', 'has a bad prefix "+4 4"'],
    ['+1234567890123456=smpp;*=twilio', 'has a bad prefix "+1234567890123456"'],
    ['+044=smpp;*=twilio', 'has a bad prefix "+044": it must be "+" then 1 to 15 digits'],
    ['=smpp;*=twilio', 'has a bad prefix ""'],
    ['**=twilio', 'has a bad prefix "**"'],
    ['+44=smpp;+1=twilio;+44=twilio;*=twilio', 'gives prefix +44 twice'],
    ['*=smpp;*=twilio', 'gives prefix * twice'],
    ['+44=;*=twilio', 'route +44 names no provider'],
    ['+44= , ;*=twilio', 'route +44 names no provider'],
    ['+44=smpp,,twilio;*=twilio', 'route +44 has an empty provider name in "smpp,,twilio"'],
    ['+44=smpp,;*=twilio', 'route +44 has an empty provider name in "smpp,"'],
    ['+44=smpp,twilio,smpp;*=twilio', 'route +44 names "smpp" twice'],
    ['+44=smpp;*=twilio,twilio', 'route * names "twilio" twice'],
    ['+44=SMPP;*=twilio', 'route +44 names "SMPP", which is not configured'],
    ['+44=smpp;+1=twilio', 'has no "*" route: a number matching none of +44, +1 would have no'],
  ])('refuses %p: %s', (value, problem) => {
    expect(() => table(value)).toThrow(problem);
  });

  it('names the provider that is not configured and those that are', () => {
    expect(() => parseRoutes('+44=smpp,twilio;*=twilio', ['twilio', 'simulated'])).toThrow(
      'route +44 names "smpp", which is not configured (configured: twilio, simulated)',
    );
  });

  it('says how to add the missing * route', () => {
    expect(() => table('+44=smpp,twilio;+1=twilio')).toThrow('add one, e.g. *=smpp');
  });
});

describe('singleRoute', () => {
  it('sends every number to the one provider', () => {
    const only = singleRoute('twilio');
    expect(routeFor(only, '+447700900123').providers).toEqual(['twilio']);
    expect(routeFor(only, '+12025550123').providers).toEqual(['twilio']);
    expect(only.routes).toEqual([{ prefix: '*', providers: ['twilio'], key: 'twilio' }]);
  });
});

describe('routeKey', () => {
  it.each([[['twilio']], [['smpp', 'twilio']], [['twilio', 'smpp', 'simulated']]])(
    'stores %p compactly and reads it back in the same order',
    (providers) => {
      const key = routeKey(providers);
      expect(key).toBe(providers.join(','));
      expect(parseRouteKey(key)).toEqual(providers);
    },
  );

  it('gives routes of the same providers in another order different keys', () => {
    expect(routeKey(['smpp', 'twilio'])).not.toBe(routeKey(['twilio', 'smpp']));
  });

  it.each([
    [[], 'a route has at least one provider'],
    [['smpp', ''], 'provider name "" cannot be stored in a route key'],
    [['a,b'], 'provider name "a,b" cannot be stored in a route key'],
  ])('refuses to store %p, which would not read back the same', (providers, problem) => {
    expect(() => routeKey(providers)).toThrow(problem);
  });

  it('refuses an empty key', () => {
    expect(() => parseRouteKey('')).toThrow('a route key names at least one provider');
  });
});

import { outcomeUnknown, TIMEOUT_CODE, UNREACHABLE_CODE } from '../provider-call';
import type { SendResult } from '../sms-provider';
import type { BreakerState } from './circuit-breakers';
import {
  chooseProvider,
  mayMove,
  providersDown,
  routeProviders,
  type RoutedMessage,
} from './provider-choice';
import { parseRoutes } from '../../config/routes';

type Name = 'smpp' | 'twilio' | 'simulated';
const table = parseRoutes<Name>('+44=smpp,twilio;*=twilio', ['smpp', 'twilio', 'simulated']);

const message = (overrides: Partial<RoutedMessage<Name>> = {}): RoutedMessage<Name> => ({
  phoneNumber: '+447700900123',
  route: 'smpp,twilio',
  pinned: null,
  reclaimed: false,
  claimProvider: null,
  ...overrides,
});

const breakers = (states: Partial<Record<Name, BreakerState>>) =>
  new Map(Object.entries(states) as [Name, BreakerState][]);

describe('routeProviders', () => {
  it('reads the stored route, keeping only the providers in use', () => {
    expect(routeProviders(message(), table, ['smpp', 'twilio'])).toEqual(['smpp', 'twilio']);
    expect(routeProviders(message(), table, ['twilio'])).toEqual(['twilio']);
  });

  it('routes a message without a stored route, or whose providers are all gone, by its number', () => {
    expect(routeProviders(message({ route: null }), table, ['smpp', 'twilio'])).toEqual([
      'smpp',
      'twilio',
    ]);
    expect(
      routeProviders(message({ route: 'simulated', phoneNumber: '+12025550100' }), table, [
        'smpp',
        'twilio',
      ]),
    ).toEqual(['twilio']);
  });
});

describe('chooseProvider', () => {
  const route: readonly Name[] = ['smpp', 'twilio'];

  it('takes the first provider whose breaker is closed', () => {
    expect(chooseProvider(message(), route, breakers({}), 'twilio')).toEqual({
      kind: 'send',
      provider: 'smpp',
      probe: false,
    });
    expect(chooseProvider(message(), route, breakers({ smpp: 'open' }), 'twilio')).toEqual({
      kind: 'send',
      provider: 'twilio',
      probe: false,
    });
  });

  it("probes a half-open provider in the route's order, so traffic comes back to it", () => {
    expect(chooseProvider(message(), route, breakers({ smpp: 'half-open' }), 'twilio')).toEqual({
      kind: 'send',
      provider: 'smpp',
      probe: true,
    });
    expect(
      chooseProvider(message(), route, breakers({ smpp: 'open', twilio: 'half-open' }), 'twilio'),
    ).toEqual({ kind: 'send', provider: 'twilio', probe: true });
  });

  it('waits, naming its providers, when every breaker of its route is open', () => {
    expect(
      chooseProvider(message(), route, breakers({ smpp: 'open', twilio: 'open' }), 'twilio'),
    ).toEqual({ kind: 'wait', providers: ['smpp', 'twilio'] });
  });

  it('keeps a pinned message with its provider, waiting while that one is open', () => {
    const pinned = message({ pinned: 'smpp' });
    expect(chooseProvider(pinned, route, breakers({}), 'twilio')).toMatchObject({
      provider: 'smpp',
    });
    expect(chooseProvider(pinned, route, breakers({ smpp: 'open' }), 'twilio')).toEqual({
      kind: 'wait',
      providers: ['smpp'],
    });
    expect(chooseProvider(pinned, route, breakers({ smpp: 'half-open' }), 'twilio')).toEqual({
      kind: 'send',
      provider: 'smpp',
      probe: true,
    });
  });

  it("resolves a dead worker's claim where it called (SMS_PROVIDER for claims from before routes)", () => {
    const reclaimed = message({ reclaimed: true, claimProvider: 'twilio', pinned: null });
    expect(chooseProvider(reclaimed, route, breakers({}), 'smpp')).toMatchObject({
      provider: 'twilio',
    });
    const old = message({ reclaimed: true, claimProvider: null });
    expect(chooseProvider(old, route, breakers({}), 'simulated')).toMatchObject({
      provider: 'simulated',
    });
  });
});

describe('mayMove', () => {
  const refused = (category: string, code: string, extra: object = {}) =>
    ({ accepted: false, category, code, message: code, ...extra }) as SendResult;

  it.each<[string, SendResult, boolean]>([
    ['an HTTP 5xx', refused('provider_error', '500'), true],
    ['a refused connection', refused('provider_error', 'ECONNREFUSED'), true],
    ['refused credentials', refused('auth', '20003'), true],
    ['throttling', refused('rate_limited', '20429'), true],
    ['no bind up', refused('rate_limited', 'SMPP_NOT_BOUND', { local: true }), true],
    ['an invalid number', refused('invalid_number', '21211'), true],
    ['a timeout', refused('timeout', TIMEOUT_CODE), false],
    ['an unknown outcome', outcomeUnknown('no answer'), false],
    ['an adapter that threw', refused('provider_error', UNREACHABLE_CODE), false],
    [
      'a refusal after part 1 was accepted',
      refused('provider_error', 'ESME_RSYSERR', {
        parts: { reference: 7, total: 2, accepted: [{ part: 1, providerMessageId: 'a' }] },
      }),
      false,
    ],
    ['an acceptance', { accepted: true, providerMessageId: 'SM1' }, false],
    [
      "a refusal of SMPP's blind resend of a call in doubt",
      refused('rate_limited', 'SMPP_NOT_BOUND', {
        local: true,
        resolution: { method: 'resend', outcome: 'resent', detail: 'sent again' },
      }),
      false,
    ],
    [
      'a refusal of the send a Twilio lookup made after it found nothing',
      refused('provider_error', '500', {
        resolution: { method: 'lookup', outcome: 'resent', detail: 'none found, sent' },
      }),
      true,
    ],
  ])('%s: %s', (_, result, expected) => {
    expect(mayMove(result)).toBe(expected);
  });
});

describe('providersDown', () => {
  const inUse: readonly Name[] = ['smpp', 'twilio'];

  it('names the providers of every route whose breakers are all open or half-open', () => {
    const routes = ['smpp,twilio', 'twilio'];
    expect(providersDown(routes, table, inUse, breakers({ smpp: 'open' }))).toEqual([]);
    expect(providersDown(routes, table, inUse, breakers({ twilio: 'open' }))).toEqual(['twilio']);
    expect(
      providersDown(routes, table, inUse, breakers({ twilio: 'half-open', smpp: 'open' })),
    ).toEqual(['smpp', 'twilio']);
  });

  it("takes a batch from before routes to use the '*' route", () => {
    expect(providersDown([], table, inUse, breakers({ twilio: 'open' }))).toEqual(['twilio']);
    expect(providersDown([], table, inUse, breakers({ smpp: 'open' }))).toEqual([]);
  });
});

import {
  DEFAULT_BLOCKED_NUMBER_TYPES,
  type DestinationsConfig,
  type NumberType,
} from '../../config/configuration';
import { destinationRefusal, destinationRule, type DestinationRule } from './destination-rule';

const deployment = (
  allowedCountries: string[],
  blockedNumberTypes: readonly NumberType[] = DEFAULT_BLOCKED_NUMBER_TYPES,
): DestinationsConfig => ({ allowedCountries, blockedNumberTypes: [...blockedNumberTypes] });

/** The reason a number of `country` (mobile) is refused, or 'sent'. */
const verdict = (rule: DestinationRule, country: string, type: NumberType = 'MOBILE') =>
  destinationRefusal(rule, country, type)?.reason ?? 'sent';

describe('destinationRule: which countries an account sends to', () => {
  it.each<[string, string[], string[] | null, string, string]>([
    // The deployment alone (the account's list is NULL).
    ['default: every country', [], null, 'FR', 'sent'],
    ['default: no number of no country', [], null, '001', 'destination_country'],
    ['listed country', ['US', 'GB'], null, 'GB', 'sent'],
    ['country not listed', ['US', 'GB'], null, 'FR', 'destination_country'],
    ['Guernsey is not GB', ['US', 'GB'], null, 'GG', 'destination_country'],
    ['001 not listed', ['US', 'GB'], null, '001', 'destination_country'],
    ['001 listed', ['US', '001'], null, '001', 'sent'],
    ['only 001 listed: countries refused', ['001'], null, 'US', 'destination_country'],
    // Narrowed by the account when the deployment allows every country: the account's list.
    ['account narrowed to US, US', [], ['US'], 'US', 'sent'],
    ['account narrowed to US, GB', [], ['US'], 'GB', 'destination_country'],
    ['account lists 001, deployment does not', [], ['US', '001'], '001', 'destination_country'],
    ['account list in lower case', [], ['us'], 'US', 'sent'],
    ['empty account list refuses everything', [], [], 'US', 'destination_country'],
    // Narrowed within a deployment list: the intersection.
    ['intersection keeps US', ['US', 'GB'], ['US', 'FR'], 'US', 'sent'],
    ['intersection drops GB', ['US', 'GB'], ['US', 'FR'], 'GB', 'destination_country'],
    ['account cannot widen to FR', ['US', 'GB'], ['US', 'FR'], 'FR', 'destination_country'],
    ['both list 001', ['US', '001'], ['001'], '001', 'sent'],
    ['only the account lists 001', ['US'], ['US', '001'], '001', 'destination_country'],
    ['disjoint lists refuse everything', ['US'], ['FR'], 'US', 'destination_country'],
  ])('%s (deployment %j, account %j): a number in %s is %s', (_c, own, account, country, want) => {
    expect(verdict(destinationRule(deployment(own), account), country)).toBe(want);
  });
});

describe('destinationRule: which number types are refused', () => {
  it.each<[readonly NumberType[], NumberType | undefined, string]>([
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'PREMIUM_RATE', 'destination_type'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'SHARED_COST', 'destination_type'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'UAN', 'destination_type'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'VOICEMAIL', 'destination_type'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'PAGER', 'destination_type'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'MOBILE', 'sent'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'FIXED_LINE_OR_MOBILE', 'sent'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, 'TOLL_FREE', 'sent'],
    [DEFAULT_BLOCKED_NUMBER_TYPES, undefined, 'sent'],
    [[], 'PREMIUM_RATE', 'sent'],
    [['VOIP'], 'VOIP', 'destination_type'],
    [['VOIP'], 'PREMIUM_RATE', 'sent'],
  ])('blocking %j: a number of type %s is %s', (blocked, type, want) => {
    const rule = destinationRule(deployment([], blocked), null);
    expect(destinationRefusal(rule, 'US', type)?.reason ?? 'sent').toBe(want);
  });

  it('names the country first when both the country and the type are refused', () => {
    const rule = destinationRule(deployment(['US']), null);
    expect(destinationRefusal(rule, 'GB', 'PREMIUM_RATE')?.reason).toBe('destination_country');
  });
});

describe('destinationRefusal: the message says why', () => {
  const rule = destinationRule(deployment(['US', 'GB']), null);

  it.each<[string, NumberType, string]>([
    ['FR', 'MOBILE', 'is in FR, a country this account does not send to'],
    ['001', 'MOBILE', 'belongs to no country'],
    ['US', 'PREMIUM_RATE', 'is a premium-rate number, which this service does not send to'],
    ['GB', 'SHARED_COST', 'is a shared-cost number, which this service does not send to'],
    ['GB', 'UAN', 'is a universal access number (UAN), which this service does not send to'],
    ['US', 'VOICEMAIL', 'is a voicemail access number, which this service does not send to'],
    ['US', 'PAGER', 'is a pager number, which this service does not send to'],
  ])('a number in %s of type %s %s', (country, type, message) => {
    expect(destinationRefusal(rule, country, type)?.message).toContain(message);
  });
});

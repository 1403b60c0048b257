// Where an account may send (SMS-pumping defences): the countries of ALLOWED_COUNTRIES narrowed by
// the account's own list, and the number types of BLOCKED_NUMBER_TYPES. Plain code, no I/O.
import {
  NON_GEOGRAPHIC,
  type DestinationsConfig,
  type NumberType,
} from '../../config/configuration';

export interface DestinationRule {
  /**
   * Countries (ISO codes, and NON_GEOGRAPHIC for numbers of no country) numbers may be in; null:
   * every country, but no number of no country.
   */
  countries: ReadonlySet<string> | null;
  blockedTypes: ReadonlySet<NumberType>;
}

/** Reasons of salvo_refusals_total for destinations (each counts refused recipients). */
export const DESTINATION_REFUSAL_REASONS = ['destination_country', 'destination_type'] as const;
export type DestinationRefusalReason = (typeof DESTINATION_REFUSAL_REASONS)[number];

export interface DestinationRefusal {
  reason: DestinationRefusalReason;
  /** Follows the number as given: `"+33612345678" is in FR, a country ...`. */
  message: string;
}

/**
 * The rule for one account: the deployment's countries (empty: every country, which does not
 * include numbers of no country), intersected with the account's list when it has one. An
 * account's list only narrows: a code the deployment does not allow stays refused, NON_GEOGRAPHIC
 * included, and an empty list refuses every country.
 */
export function destinationRule(
  deployment: DestinationsConfig,
  accountCountries: readonly string[] | null,
): DestinationRule {
  const allowed = deployment.allowedCountries.length ? new Set(deployment.allowedCountries) : null;
  let countries = allowed;
  if (accountCountries !== null) {
    const own = accountCountries.map((code) => code.trim().toUpperCase());
    countries = new Set(
      own.filter((code) => (allowed ? allowed.has(code) : code !== NON_GEOGRAPHIC)),
    );
  }
  return { countries, blockedTypes: new Set(deployment.blockedNumberTypes) };
}

/** Why a number of this country and type may not be sent to under `rule`, or undefined. */
export function destinationRefusal(
  rule: DestinationRule,
  country: string,
  type: NumberType | undefined,
): DestinationRefusal | undefined {
  const countryAllowed =
    rule.countries === null ? country !== NON_GEOGRAPHIC : rule.countries.has(country);
  if (!countryAllowed) {
    return {
      reason: 'destination_country',
      message:
        country === NON_GEOGRAPHIC
          ? 'belongs to no country (an international network such as +881 satellite or +882/+883), which this account does not send to'
          : `is in ${country}, a country this account does not send to`,
    };
  }
  if (type !== undefined && rule.blockedTypes.has(type)) {
    return {
      reason: 'destination_type',
      message: `is ${TYPE_NAMES[type]}, which this service does not send to`,
    };
  }
  return undefined;
}

/** One request's checks under a rule, counting what they refuse (for salvo_refusals_total). */
export class DestinationCheck {
  readonly refused: Record<DestinationRefusalReason, number> = {
    destination_country: 0,
    destination_type: 0,
  };

  constructor(readonly rule: DestinationRule) {}

  /** Why a number of this country and type may not be sent to, or undefined. */
  refusal(country: string, type: NumberType | undefined): string | undefined {
    const refusal = destinationRefusal(this.rule, country, type);
    if (!refusal) return undefined;
    this.refused[refusal.reason]++;
    return refusal.message;
  }
}

/** libphonenumber's types as a sentence names them. */
const TYPE_NAMES: Record<NumberType, string> = {
  PREMIUM_RATE: 'a premium-rate number',
  TOLL_FREE: 'a toll-free number',
  SHARED_COST: 'a shared-cost number',
  VOIP: 'a VoIP number',
  PERSONAL_NUMBER: 'a personal number',
  PAGER: 'a pager number',
  UAN: 'a universal access number (UAN)',
  VOICEMAIL: 'a voicemail access number',
  FIXED_LINE: 'a fixed-line number',
  MOBILE: 'a mobile number',
  FIXED_LINE_OR_MOBILE: 'a fixed-line or mobile number',
};

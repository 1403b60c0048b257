// Which send failures add a deployment-wide `provider_opt_out` suppression (Twilio's 21610, the
// simulator's SIM_OPTED_OUT): a provider's own word that the recipient opted out.
import type { ErrorCategory } from '../errors/error-taxonomy';
import { SUPPRESSED } from './suppression.sql';

/**
 * Whether a send's error is a provider saying the recipient opted out. Salvo's own refusal at
 * the claim (`opted_out` too, code SUPPRESSED) only repeats an entry that exists, and adds none.
 */
export function isProviderOptOut(
  error: { category: ErrorCategory; code: string } | null | undefined,
): boolean {
  return !!error && error.category === 'opted_out' && error.code !== SUPPRESSED;
}

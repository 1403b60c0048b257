// Which send failures add a deployment-wide `provider_opt_out` suppression (Twilio's 21610, the
// simulator's SIM_OPTED_OUT): a provider's own word that the recipient opted out.
import type { ErrorCategory } from '../errors/error-taxonomy';

/**
 * The code of Salvo's own refusal to send to a suppressed number (at claim): category
 * `opted_out` too, but it only repeats a suppression that exists, and adds none.
 */
export const SUPPRESSED_CODE = 'SUPPRESSED';

/** Whether a send's error is a provider saying the recipient opted out. */
export function isProviderOptOut(
  error: { category: ErrorCategory; code: string } | null | undefined,
): boolean {
  return !!error && error.category === 'opted_out' && error.code !== SUPPRESSED_CODE;
}

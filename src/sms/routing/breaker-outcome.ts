// What one provider answer tells a circuit breaker about the provider's health (circuit-breakers.ts).
// Issue 16 names what counts against a provider: provider_error answers (an HTTP 5xx, ESME_RSYSERR,
// a refused connection), timeouts, a lost bind (`unavailable`), and `auth`, which opens the breaker
// at once.
import { OUTCOME_UNKNOWN } from '../../errors/error-taxonomy';
import type { SendResult } from '../sms-provider';

/** What a breaker is told: the provider worked, failed, or refused our credentials. */
export type BreakerOutcome = 'success' | 'failure' | 'auth';

/**
 * The breaker's outcome for one answer, or null when it says nothing about the provider's health:
 * a refusal of this message (invalid number, opted out, content, unreachable handset, an
 * unrecognised code, which the provider answered), throttling (slow down, not move) and a
 * refusal by the adapter itself (`local`: nothing reached the provider), unless the adapter could
 * not reach the provider at all (`unavailable`: no SMPP bind up).
 */
export function breakerOutcome(result: SendResult): BreakerOutcome | null {
  if (result.accepted) return 'success';
  if (result.local) return result.unavailable ? 'failure' : null;
  switch (result.category) {
    case 'auth':
      return 'auth';
    case 'provider_error':
    case 'timeout':
      return 'failure';
    case 'unknown':
      // OUTCOME_UNKNOWN is a call that got no answer its adapter could settle (every SMPP timeout
      // ends so); any other unknown is a code the provider did answer with.
      return result.code === OUTCOME_UNKNOWN ? 'failure' : null;
    case 'rate_limited':
    case 'invalid_number':
    case 'opted_out':
    case 'content_rejected':
    case 'unreachable':
      return null;
  }
}

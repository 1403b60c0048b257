import type { ErrorCategory } from '../../errors/error-taxonomy';
import { NOT_BOUND_CODE, NOT_WRITTEN_CODE } from '../smpp/smpp-sms-provider';
import { outcomeUnknown, TIMEOUT_CODE, UNREACHABLE_CODE } from '../provider-call';
import type { SendResult } from '../sms-provider';
import { breakerOutcome, type BreakerOutcome } from './breaker-outcome';

type Refusal = Extract<SendResult, { accepted: false }>;

function refused(category: ErrorCategory, code: string, extra: Partial<Refusal> = {}): Refusal {
  return { accepted: false, category, code, message: `${category} ${code}`, ...extra };
}

describe('breakerOutcome', () => {
  it('counts an acceptance as a success', () => {
    expect(breakerOutcome({ accepted: true, providerMessageId: 'SM1' })).toBe('success');
  });

  it.each<[string, SendResult, BreakerOutcome | null]>([
    ['an HTTP 5xx', refused('provider_error', '500'), 'failure'],
    ['ESME_RSYSERR', refused('provider_error', 'ESME_RSYSERR'), 'failure'],
    ['a refused connection', refused('provider_error', 'ECONNREFUSED'), 'failure'],
    ['an adapter that threw', refused('provider_error', UNREACHABLE_CODE), 'failure'],
    ["Salvo's timeout", refused('timeout', TIMEOUT_CODE), 'failure'],
    ['a connection lost after the write', refused('timeout', 'SMPP_CONNECTION_LOST'), 'failure'],
    ['a call whose outcome stayed unknown', outcomeUnknown('no answer'), 'failure'],
    ['refused credentials', refused('auth', '20003'), 'auth'],
    ['a bind refused for its password', refused('auth', 'ESME_RINVPASWD'), 'auth'],
    ["the provider's throttling", refused('rate_limited', '20429', { retryAfterMs: 1000 }), null],
    ['an invalid number', refused('invalid_number', '21211'), null],
    ['an opted-out recipient', refused('opted_out', '21610'), null],
    ['rejected content', refused('content_rejected', '30007'), null],
    ['an unreachable handset', refused('unreachable', '30003'), null],
    ['an unrecognised code the provider answered', refused('unknown', 'ESME_RX_P_APPN'), null],
    ["the adapter's own refusal", refused('rate_limited', NOT_WRITTEN_CODE, { local: true }), null],
    [
      'no bind up to write on',
      refused('rate_limited', NOT_BOUND_CODE, { local: true, unavailable: true }),
      'failure',
    ],
  ])('%s', (_, result, expected) => {
    expect(breakerOutcome(result)).toBe(expected);
  });
});

import { callProvider, CLAIM_LAPSED, reachedProvider, sendWithTimeout } from './provider-call';
import type { ResolveContext, SendRequest, SendResult, SmsProvider } from './sms-provider';

const REQUEST: SendRequest = {
  messageId: 'm1',
  idempotencyKey: 'm1',
  to: '+12015550100',
  body: 'Hi',
  attempt: 1,
  since: new Date('2026-11-30T12:00:00Z'),
  validUntil: new Date('2026-11-30T22:00:00Z'),
};
const lookups = {
  taken: () => Promise.resolve(new Set<string>()),
  adopt: () => Promise.resolve(true),
  held: () => Promise.resolve(true),
};
const ACCEPTED: SendResult = { accepted: true, providerMessageId: 'P1' };
const never = () => new Promise<SendResult>(() => {});

function fake(
  idempotent: boolean,
  send: () => Promise<SendResult>,
  resolve = send,
  resolveTimeoutMs?: (timeoutMs: number) => number,
) {
  const calls = { send: 0, resolve: 0 };
  const provider: SmsProvider = {
    idempotent,
    send: () => (calls.send++, send()),
    resolve: () => (calls.resolve++, resolve()),
    ...(resolveTimeoutMs && { resolveTimeoutMs }),
  };
  return { provider, calls };
}

describe('sendWithTimeout', () => {
  it('answers TIMEOUT (timeout) when the provider is silent past the timeout', async () => {
    const { provider } = fake(true, never);
    await expect(sendWithTimeout(provider, REQUEST, 10)).resolves.toMatchObject({
      accepted: false,
      category: 'timeout',
      code: 'TIMEOUT',
    });
  });

  it('aborts the call it gave up on, so the adapter can drop its request', async () => {
    let seen: AbortSignal | undefined;
    const provider: SmsProvider = {
      idempotent: true,
      send: (_request, context) => ((seen = context?.signal), never()),
      resolve: never,
    };
    await sendWithTimeout(provider, REQUEST, 10);
    expect(seen?.aborted).toBe(true);
  });

  it('answers PROVIDER_UNREACHABLE (provider_error) when the adapter throws', async () => {
    const { provider } = fake(true, () => Promise.reject(new Error('ECONNREFUSED')));
    await expect(sendWithTimeout(provider, REQUEST, 1000)).resolves.toEqual({
      accepted: false,
      category: 'provider_error',
      code: 'PROVIDER_UNREACHABLE',
      message: 'ECONNREFUSED',
    });
  });
});

describe('callProvider', () => {
  it.each([true, false])(
    'sends once and answers what the provider said (idempotent %s)',
    async (idempotent) => {
      const { provider, calls } = fake(idempotent, () => Promise.resolve(ACCEPTED));
      await expect(
        callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: false, lookups }),
      ).resolves.toEqual(ACCEPTED);
      expect(calls).toEqual({ send: 1, resolve: 0 });
    },
  );

  it('an idempotent provider: a timeout is a timeout, a reclaimed message is sent again', async () => {
    const silent = fake(true, never);
    await expect(
      callProvider(silent.provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups }),
    ).resolves.toMatchObject({ category: 'timeout' });
    const reclaimed = fake(true, () => Promise.resolve(ACCEPTED));
    await callProvider(reclaimed.provider, REQUEST, { timeoutMs: 1000, reclaimed: true, lookups });
    expect([silent.calls, reclaimed.calls]).toEqual([
      { send: 1, resolve: 0 },
      { send: 1, resolve: 0 },
    ]);
  });

  it('any other: a timeout goes to resolve, whose answer is the result', async () => {
    const { provider, calls } = fake(false, never, () => Promise.resolve(ACCEPTED));
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups }),
    ).resolves.toEqual(ACCEPTED);
    expect(calls).toEqual({ send: 1, resolve: 1 });
  });

  it("any other: a send that outlasted the claim's lease is not resolved here (the next claim does)", async () => {
    const { provider, calls } = fake(false, never, () => Promise.resolve(ACCEPTED));
    const lapsed = { ...lookups, held: () => Promise.resolve(false) };
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups: lapsed }),
    ).resolves.toMatchObject({
      category: 'unknown',
      code: 'OUTCOME_UNKNOWN',
      message: CLAIM_LAPSED,
    });
    expect(calls).toEqual({ send: 1, resolve: 0 });
  });

  it('any other: a reclaimed message is resolved, never sent', async () => {
    const { provider, calls } = fake(false, () => Promise.resolve(ACCEPTED));
    await callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: true, lookups });
    expect(calls).toEqual({ send: 0, resolve: 1 });
  });

  it('any other: an adapter-reported timeout goes to resolve too, never to a second send', async () => {
    const timedOut: SendResult = {
      accepted: false,
      category: 'timeout',
      code: 'E_SOCKET',
      message: 'x',
    };
    const { provider, calls } = fake(false, () => Promise.resolve(timedOut), never);
    await callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups });
    expect(calls).toEqual({ send: 1, resolve: 1 });
  });

  it.each<[string, SendResult]>([
    [
      'a throttled lookup',
      { accepted: false, category: 'rate_limited', code: '20429', message: 'x' },
    ],
    ['a failed lookup', { accepted: false, category: 'provider_error', code: '500', message: 'x' }],
    ['an odd answer', { accepted: false, category: 'unknown', code: 'E42', message: 'x' }],
    ['a refused lookup', { accepted: false, category: 'auth', code: '20003', message: 'x' }],
  ])('any other: %s is OUTCOME_UNKNOWN, so nothing retries the send', async (_case, answer) => {
    const { provider } = fake(false, () => Promise.resolve(answer));
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: true, lookups }),
    ).resolves.toMatchObject({ category: 'unknown', code: 'OUTCOME_UNKNOWN' });
  });

  it('any other: a final answer of resolve stands (e.g. the number is invalid)', async () => {
    const invalid: SendResult = {
      accepted: false,
      category: 'invalid_number',
      code: '21211',
      message: 'x',
    };
    const { provider } = fake(false, () => Promise.resolve(invalid));
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: true, lookups }),
    ).resolves.toEqual(invalid);
  });

  const resent = (answer: SendResult): SendResult => ({
    ...answer,
    resolution: { method: 'lookup', outcome: 'resent', detail: 'Not found; sent.' },
  });

  it.each<[string, SendResult]>([
    ['accepted', ACCEPTED],
    ['throttled', { accepted: false, category: 'rate_limited', code: '20429', message: 'x' }],
    ['failed', { accepted: false, category: 'provider_error', code: '500', message: 'x' }],
  ])(
    'any other: a resend after a lookup that found nothing is a send: %s stands, with its resolution',
    async (_case, answer) => {
      const { provider } = fake(false, () => Promise.resolve(resent(answer)));
      await expect(
        callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: true, lookups }),
      ).resolves.toEqual(resent(answer));
    },
  );

  it('any other: a resend whose own outcome is unknown is OUTCOME_UNKNOWN, keeping the resolution', async () => {
    const lost = resent({ accepted: false, category: 'timeout', code: 'TIMEOUT', message: 'x' });
    const { provider } = fake(false, () => Promise.resolve(lost));
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: true, lookups }),
    ).resolves.toMatchObject({
      category: 'unknown',
      code: 'OUTCOME_UNKNOWN',
      resolution: { outcome: 'resent' },
    });
  });

  it('any other: resolve is told the parts the call in doubt had sent, so they are not sent again', async () => {
    const parts = { reference: 7, total: 3, accepted: [{ part: 1, providerMessageId: 'p1' }] };
    const inDoubt: SendResult = {
      accepted: false,
      category: 'timeout',
      code: 'SMPP_RESPONSE_TIMEOUT',
      message: 'x',
      parts,
    };
    let resolved: SendRequest | undefined;
    const provider: SmsProvider = {
      idempotent: false,
      send: () => Promise.resolve(inDoubt),
      resolve: (request) => ((resolved = request), Promise.resolve(ACCEPTED)),
    };
    await callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups });
    expect(resolved).toEqual({ ...REQUEST, parts });
  });

  it('any other: resolve gets its own time (resolveTimeoutMs), the taken ids and a signal', async () => {
    let context: ResolveContext | undefined;
    const provider: SmsProvider = {
      idempotent: false,
      send: never,
      resolve: async (_request, given) => {
        context = given;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return ACCEPTED;
      },
      resolveTimeoutMs: (timeoutMs) => timeoutMs + 100,
    };
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups }),
    ).resolves.toEqual(ACCEPTED);
    expect(context?.taken).toBe(lookups.taken);
    expect(context?.adopt).toBe(lookups.adopt);
    expect(context?.signal?.aborted).toBe(false);
  });

  it('any other: a resolution without an answer is OUTCOME_UNKNOWN', async () => {
    const { provider } = fake(false, () => Promise.reject(new Error('reset')), never);
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false, lookups }),
    ).resolves.toMatchObject({
      accepted: false,
      category: 'unknown',
      code: 'OUTCOME_UNKNOWN',
    });
  });
});

describe('reachedProvider (the message log names the provider)', () => {
  const throttledHere = {
    accepted: false,
    category: 'rate_limited',
    code: 'SMPP_NOT_WRITTEN',
    message: 'Nothing was written.',
    local: true,
  } as const;
  const somePartsWent = {
    reference: 7,
    total: 2,
    accepted: [{ part: 1, providerMessageId: 'P1' }],
  };

  it.each<[string, SendResult, boolean]>([
    ['an acceptance', ACCEPTED, true],
    [
      "the provider's refusal",
      { accepted: false, category: 'invalid_number', code: 'X', message: 'no' },
      true,
    ],
    [
      'an unknown outcome',
      { accepted: false, category: 'unknown', code: 'OUTCOME_UNKNOWN', message: '?' },
      true,
    ],
    ["the adapter's own refusal: nothing went", throttledHere, false],
    [
      "the adapter's own refusal after parts went",
      { ...throttledHere, parts: somePartsWent },
      true,
    ],
    [
      "the adapter's own refusal of a long message none of whose parts went",
      { ...throttledHere, parts: { ...somePartsWent, accepted: [] } },
      false,
    ],
  ])('%s', (_case, result, reached) => {
    expect(reachedProvider(result)).toBe(reached);
  });
});

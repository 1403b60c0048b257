import { callProvider, sendWithTimeout } from './provider-call';
import type { SendRequest, SendResult, SmsProvider } from './sms-provider';

const REQUEST: SendRequest = {
  messageId: 'm1',
  idempotencyKey: 'm1',
  to: '+12015550100',
  body: 'Hi',
  attempt: 1,
};
const ACCEPTED: SendResult = { accepted: true, providerMessageId: 'P1' };
const never = () => new Promise<SendResult>(() => {});

function fake(idempotent: boolean, send: () => Promise<SendResult>, resolve = send) {
  const calls = { send: 0, resolve: 0 };
  const provider: SmsProvider = {
    idempotent,
    send: () => (calls.send++, send()),
    resolve: () => (calls.resolve++, resolve()),
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
        callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: false }),
      ).resolves.toEqual(ACCEPTED);
      expect(calls).toEqual({ send: 1, resolve: 0 });
    },
  );

  it('an idempotent provider: a timeout is a timeout, a reclaimed message is sent again', async () => {
    const silent = fake(true, never);
    await expect(
      callProvider(silent.provider, REQUEST, { timeoutMs: 10, reclaimed: false }),
    ).resolves.toMatchObject({ category: 'timeout' });
    const reclaimed = fake(true, () => Promise.resolve(ACCEPTED));
    await callProvider(reclaimed.provider, REQUEST, { timeoutMs: 1000, reclaimed: true });
    expect([silent.calls, reclaimed.calls]).toEqual([
      { send: 1, resolve: 0 },
      { send: 1, resolve: 0 },
    ]);
  });

  it('any other: a timeout goes to resolve, whose answer is the result', async () => {
    const { provider, calls } = fake(false, never, () => Promise.resolve(ACCEPTED));
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false }),
    ).resolves.toEqual(ACCEPTED);
    expect(calls).toEqual({ send: 1, resolve: 1 });
  });

  it('any other: a reclaimed message is resolved, never sent', async () => {
    const { provider, calls } = fake(false, () => Promise.resolve(ACCEPTED));
    await callProvider(provider, REQUEST, { timeoutMs: 1000, reclaimed: true });
    expect(calls).toEqual({ send: 0, resolve: 1 });
  });

  it('any other: a resolution without an answer is OUTCOME_UNKNOWN', async () => {
    const { provider } = fake(false, () => Promise.reject(new Error('reset')), never);
    await expect(
      callProvider(provider, REQUEST, { timeoutMs: 10, reclaimed: false }),
    ).resolves.toMatchObject({
      accepted: false,
      category: 'unknown',
      code: 'OUTCOME_UNKNOWN',
    });
  });
});

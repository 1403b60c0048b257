// Several providers at once, end to end (issue 16): the built service with the fake Twilio and the
// test SMSC on loopback, routed by destination (+44 to the SMSC first, everything else to Twilio
// first), each with its own ceiling, and with circuit breakers that move traffic from a failing
// provider to the other and back, never sending a message through both.
import type { ApiClient } from './support/api';
import { batchStatus, messageLog, type BatchStatusBody } from './support/dispatch';
import type { FakeSmsc } from './support/fake-smsc';
import { useProvidersApp } from './support/providers-app';
import { mostInAnySecond } from './support/sockets';
import { waitFor } from './support/wait';

type WithWaiting = BatchStatusBody & { waiting: { providersDown: string[] } };

const TWILIO_MAX_MPS = 8;
const SMPP_MAX_MPS = 6;
const COOLDOWN_MS = 2_000;

describe('several providers: routes, ceilings, breakers and failover', () => {
  const providers = useProvidersApp('routing', {
    SMS_ROUTES: '+44=smpp,twilio;*=twilio,smpp',
    TWILIO_LOOKUP_DELAY_MS: '100',
    TWILIO_MAX_MPS: String(TWILIO_MAX_MPS),
    SMPP_SOURCE_ADDR: 'Salvo',
    SMPP_RESPONSE_TIMEOUT_MS: '600',
    SMPP_MAX_MPS: String(SMPP_MAX_MPS),
    PROVIDER_TIMEOUT_MS: '1000',
    CLAIM_LEASE_MS: '8000',
    PROVIDER_MAX_MPS: '0',
    RATE_LIMIT_HIGH: '100',
    BREAKER_FAILURES: '3',
    BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
    RECONCILE_INTERVAL_MS: '300',
    RETRY_BASE_DELAY_MS: '50',
    RETRY_MAX_DELAY_MS: '300',
    RETRY_MAX_ATTEMPTS: '10',
    ERROR_RATE_PAUSE_THRESHOLD: '1',
  });
  const twilio = providers.twilio;
  let smsc: FakeSmsc;
  let client: ApiClient;
  beforeAll(() => ({ smsc, client } = providers));

  let used = 0;
  /** Numbers no earlier test sent to: UK (+44 7911) or US. */
  function numbers(count: number, country: 'uk' | 'us'): string[] {
    const first = used;
    used += count;
    return Array.from({ length: count }, (_, i) =>
      country === 'uk'
        ? `+447911${String(100_000 + first + i)}`
        : `+1201555${String(1_000 + first + i).padStart(4, '0')}`,
    );
  }

  async function send(phoneNumbers: string[]): Promise<string> {
    const created = await client
      .post('/api/batch', {
        text: 'Hello {{name}}',
        recipients: phoneNumbers.map((phoneNumber) => ({ phoneNumber, variables: { name: 'N' } })),
        options: { priority: 'high' },
      })
      .expect(201);
    return created.body.id as string;
  }

  function finished(id: string, timeoutMs = 30_000): Promise<WithWaiting> {
    return waitFor(
      `batch ${id} to finish`,
      async () => {
        const batch = (await batchStatus(client, id)) as WithWaiting;
        return ['completed', 'failed'].includes(batch.status) && batch;
      },
      { timeoutMs },
    );
  }

  /** Acceptances per number at each provider. */
  const atTwilio = (phoneNumber: string) => twilio.count(phoneNumber);
  const atSmsc = (phoneNumber: string) =>
    smsc.byDestination('accepted').get(phoneNumber.slice(1))?.length ?? 0;

  /** Every number accepted exactly once, by one provider or the other. */
  function acceptedOnce(phoneNumbers: string[]): { twilio: number; smpp: number } {
    const twice = phoneNumbers.filter((n) => atTwilio(n) + atSmsc(n) !== 1);
    expect(twice).toEqual([]);
    return {
      twilio: phoneNumbers.filter((n) => atTwilio(n) === 1).length,
      smpp: phoneNumbers.filter((n) => atSmsc(n) === 1).length,
    };
  }

  async function breakersClosed(): Promise<void> {
    await waitFor(
      'both breakers closed',
      async () => {
        const analytics = await client.get(`/api/batch/${lastBatch}/analytics`).expect(200);
        const providers = analytics.body.providers as {
          provider: string;
          breaker: { state: string } | null;
        }[];
        return providers.every((p) => p.breaker?.state === 'closed');
      },
      { timeoutMs: 20_000 },
    );
  }
  let lastBatch = '';

  it('sends each destination to its route, within each provider’s ceiling in every second', async () => {
    const uk = numbers(18, 'uk');
    const us = numbers(24, 'us');
    const id = (lastBatch = await send([...uk, ...us]));
    const batch = await finished(id);

    expect(batch).toMatchObject({ status: 'completed', progress: { completed: 42 } });
    expect(acceptedOnce([...uk, ...us])).toEqual({ twilio: 24, smpp: 18 });
    expect(uk.every((n) => atSmsc(n) === 1)).toBe(true);
    const log = await messageLog(client, id);
    expect(
      log
        .filter((m) => m.provider === 'smpp')
        .map((m) => m.phoneNumber)
        .sort(),
    ).toEqual([...uk].sort());
    // No 1-second window of sentAt exceeds a provider's ceiling; at the provider, arrival jitter
    // may add one.
    const sentAt = (provider: string) =>
      log.filter((m) => m.provider === provider).map((m) => Date.parse(m.sentAt!));
    expect(mostInAnySecond(sentAt('twilio'))).toBeLessThanOrEqual(TWILIO_MAX_MPS);
    expect(mostInAnySecond(sentAt('smpp'))).toBeLessThanOrEqual(SMPP_MAX_MPS);
    expect(smsc.maxInAnySecond()).toBeLessThanOrEqual(SMPP_MAX_MPS + 1);
    const created = twilio.messages
      .filter((m) => us.includes(m.to))
      .map((m) => m.dateCreated.getTime());
    expect(mostInAnySecond(created)).toBeLessThanOrEqual(TWILIO_MAX_MPS + 1);
  });

  it('moves traffic from a Twilio answering 5xx to the SMSC, and back after the cool-down', async () => {
    const us = numbers(30, 'us');
    twilio.failFor(1_000);
    const id = (lastBatch = await send(us));
    const batch = await finished(id);

    expect(batch).toMatchObject({ status: 'completed', progress: { completed: 30 } });
    const split = acceptedOnce(us);
    expect(split.smpp).toBeGreaterThan(0);
    const log = await messageLog(client, id);
    // Twilio took messages again once its probe went through after the cool-down.
    const lastSmpp = Math.max(
      ...log.filter((m) => m.provider === 'smpp').map((m) => Date.parse(m.sentAt!)),
    );
    expect(log.some((m) => m.provider === 'twilio' && Date.parse(m.sentAt!) > lastSmpp)).toBe(true);
    const analytics = await client.get(`/api/batch/${id}/analytics`).expect(200);
    expect(analytics.body.breakerTransitions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ provider: 'twilio', from: 'closed', to: 'open' }),
        expect.objectContaining({ provider: 'twilio', from: 'half-open', to: 'closed' }),
      ]),
    );
  });

  it('moves traffic from a killed SMSC to Twilio', async () => {
    await breakersClosed();
    await smsc.stop();
    try {
      const uk = numbers(12, 'uk');
      const id = (lastBatch = await send(uk));
      const batch = await finished(id);

      expect(batch).toMatchObject({ status: 'completed', progress: { completed: 12 } });
      expect(acceptedOnce(uk)).toEqual({ twilio: 12, smpp: 0 });
    } finally {
      await smsc.restart();
    }
  });

  it('keeps messages waiting while every provider is down, and completes when one returns', async () => {
    await smsc.stop();
    twilio.failFor(2 * COOLDOWN_MS + 1_000);
    try {
      const us = numbers(8, 'us');
      const id = (lastBatch = await send(us));
      const waiting = await waitFor(
        'the batch to say which providers it waits for',
        async () => {
          const batch = (await batchStatus(client, id)) as WithWaiting;
          return batch.waiting.providersDown.length === 2 && batch;
        },
        { timeoutMs: 15_000 },
      );
      expect(waiting.waiting.providersDown.sort()).toEqual(['smpp', 'twilio']);
      expect(waiting.status).toBe('processing');

      const batch = await finished(id, 30_000);
      expect(batch).toMatchObject({ status: 'completed', progress: { completed: 8 } });
      expect(batch.waiting.providersDown).toEqual([]);
      expect(acceptedOnce(us)).toEqual({ twilio: 8, smpp: 0 });
    } finally {
      await smsc.restart();
    }
  });
});

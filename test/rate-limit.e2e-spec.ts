// Rate limiting that holds across processes: tier rates with two workers, tiers under a provider
// ceiling, and a provider that throttles. Measured on the message log's sentAt (the limiter's
// grant time on Redis's clock).
import { api, type ApiClient } from './support/api';
import { createAccount, startApp, type RunningApp } from './support/app-process';
import { createBatches, maxInAnySecond, messageLog, waitForStatus } from './support/dispatch';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait';
import { recipients, TEMPLATE } from './factories/batch.factory';

/** Starts the processes of one scenario: the API first, then the workers. */
function useProcesses(env: Record<string, string>, roles: string[]) {
  const context = {} as { apps: RunningApp[]; client: ApiClient };
  beforeAll(async () => {
    context.apps = [];
    for (const role of roles) context.apps.push(await startApp({ ...env, APP_ROLE: role }));
    const apiProcess = context.apps[roles.findIndex((r) => r !== 'worker')];
    context.client = api(apiProcess, testEnv().bootstrapApiKey);
  });
  afterAll(() => Promise.all(context.apps.map((app) => app.stop())));
  return context;
}

/** When each sent message of the batch went out, in order (messages not sent yet left out). */
const sentTimes = async (client: ApiClient, id: string) =>
  (await messageLog(client, id))
    .flatMap((m) => (m.sentAt ? [Date.parse(m.sentAt)] : []))
    .sort((a, b) => a - b);

const iso = (times: number[]) => times.map((t) => new Date(t).toISOString());

describe('tier rates across two worker processes and an API process', () => {
  const scenario = useProcesses({ RECONCILE_INTERVAL_MS: '500' }, ['api', 'worker', 'worker']);

  it('every batch stays within its tier in every sliding second and reaches >= 95% of it', async () => {
    const tiers = [
      { priority: 'high' as const, rate: 8, count: 64 },
      { priority: 'normal' as const, rate: 5, count: 40 },
      { priority: 'low' as const, rate: 2, count: 16 },
    ];
    const ids = await createBatches(scenario.client, tiers);
    for (const [i, { rate, count }] of tiers.entries()) {
      await waitForStatus(scenario.client, ids[i], ['completed'], 30_000);
      const times = await sentTimes(scenario.client, ids[i]);
      expect(times).toHaveLength(count);
      expect(maxInAnySecond(iso(times))).toBeLessThanOrEqual(rate);
      // n sends spaced 1/rate apart span (n - 1)/rate seconds.
      const achieved = (count - 1) / ((times[count - 1] - times[0]) / 1000);
      expect(achieved).toBeGreaterThanOrEqual(rate * 0.95);
      expect(achieved).toBeLessThanOrEqual(rate * 1.01);
    }
  });
});

describe('tiers under a provider ceiling below their sum', () => {
  // 8 + 5 + 2 = 15 wanted, 10 allowed: high keeps 8, normal gets 1.9, low its floor of 0.1.
  const scenario = useProcesses({ RECONCILE_INTERVAL_MS: '500', PROVIDER_MAX_MPS: '10' }, [
    'api',
    'worker',
    'worker',
  ]);

  it('high keeps its rate, normal gets what is left, low is not starved, the ceiling holds', async () => {
    const ids = await createBatches(scenario.client, [
      { priority: 'high', count: 72 },
      { priority: 'normal', count: 60 },
      { priority: 'low', count: 20 },
    ]);
    await waitForStatus(scenario.client, ids[0], ['completed'], 30_000);
    const [high, normal, low] = await Promise.all(ids.map((id) => sentTimes(scenario.client, id)));
    const start = high[0];
    const end = high[high.length - 1];
    const seconds = (end - start) / 1000;
    const during = (times: number[]) => times.filter((t) => t >= start && t <= end);

    expect(maxInAnySecond(iso(high))).toBeLessThanOrEqual(8);
    expect((high.length - 1) / seconds).toBeGreaterThanOrEqual(8 * 0.95);
    // What is left of the ceiling goes to normal (1.9/s), low keeps its floor (0.1/s).
    expect(during(normal).length).toBeGreaterThanOrEqual(Math.floor(1.9 * seconds * 0.9));
    expect(during(normal).length).toBeLessThanOrEqual(Math.ceil(2 * seconds) + 1);
    expect(during(low).length).toBeGreaterThanOrEqual(1);
    expect(during(low).length).toBeLessThanOrEqual(Math.ceil(0.1 * seconds) + 1);
    // The ceiling holds across every batch and both workers.
    const everything = [...high, ...normal, ...low];
    expect(maxInAnySecond(iso(everything))).toBeLessThanOrEqual(10);
    // The next scenario shares the database: nothing of this one may keep sending.
    for (const id of ids.slice(1))
      await scenario.client.post(`/api/batch/${id}/cancel`).expect(200);
  });
});

interface Analytics {
  priority: string;
  configuredRate: number;
  allottedRate: number | null;
  achievedRate: { overall: number; last10s: number; last60s: number };
  timeline: { t: string; sent: number; failed: number; throttled: number }[];
  limiterWaitMs: { p50: number | null; p95: number | null; max: number };
  providerRateLimits: {
    events: number;
    pausedMs: number;
    lastRetryAfterMs: number | null;
    lastRateLimit: { limit: number; remaining: number; resetMs: number } | null;
  };
  providerLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  segmentsSent: number;
  etaSeconds: number | null;
}

const analyticsOf = async (client: ApiClient, id: string) =>
  (await client.get(`/api/batch/${id}/analytics`).expect(200)).body as Analytics;

const sum = (timeline: Analytics['timeline'], key: 'sent' | 'failed' | 'throttled') =>
  timeline.reduce((total, bucket) => total + bucket[key], 0);

describe('a provider that pushes back', () => {
  const scenario = useProcesses({ RECONCILE_INTERVAL_MS: '500', SIMULATOR_MAX_MPS: '4' }, ['all']);

  it('a 429 pauses every send for its Retry-After, costs no attempt, and is in the analytics', async () => {
    // +12025550193 is answered 429 (Retry-After 1 s) on its first call; it goes first.
    const created = await scenario.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: [
          { phoneNumber: '+12025550193', variables: { name: 'x', code: '1' } },
          ...recipients(3),
        ],
        options: { priority: 'high' },
      })
      .expect(201);
    const id = created.body.id as string;
    const done = await waitForStatus(scenario.client, id, ['completed'], 20_000);
    expect(done.progress).toMatchObject({ completed: 4, failed: 0 });
    const log = await messageLog(scenario.client, id);
    expect(log.every((m) => m.attempts === 1)).toBe(true);
    // Without the pause the second message would go 125 ms after the first call.
    const first = Math.min(...log.map((m) => Date.parse(m.sentAt!)));
    expect(first - Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(900);

    const analytics = await analyticsOf(scenario.client, id);
    expect(analytics.providerRateLimits).toMatchObject({ events: 1, lastRetryAfterMs: 1000 });
    expect(analytics.providerRateLimits.pausedMs).toBeGreaterThanOrEqual(900);
    expect(sum(analytics.timeline, 'throttled')).toBe(1);

    // Like every batch route: 400 for a malformed id, 404 for an unknown or foreign one.
    await scenario.client.get('/api/batch/not-a-uuid/analytics').expect(400);
    await scenario.client
      .get('/api/batch/00000000-0000-4000-8000-000000000000/analytics')
      .expect(404);
    const { key } = await createAccount('Another account');
    await api(scenario.apps[0], key).get(`/api/batch/${id}/analytics`).expect(404);
  });

  it('a simulator limit below the tier: slowed without bursts, nothing failed, analytics add up', async () => {
    const count = 30;
    const created = await scenario.client
      .post('/api/batch', {
        text: TEMPLATE,
        recipients: recipients(count),
        options: { priority: 'high' },
      })
      .expect(201);
    const id = created.body.id as string;
    const running = await waitFor('the batch to send a few', async () => {
      const a = await analyticsOf(scenario.client, id);
      return sum(a.timeline, 'sent') >= 5 ? a : undefined;
    });
    expect(running.etaSeconds).toBeGreaterThan(0);
    const done = await waitForStatus(scenario.client, id, ['completed'], 30_000);
    expect(done.progress).toMatchObject({ completed: count, failed: 0 });
    const log = await messageLog(scenario.client, id);
    expect(log.every((m) => m.attempts === 1)).toBe(true);
    // The simulator takes 4 per fixed second (Redis's clock), so a sliding second may see up to
    // 7 (2 × 4 - 1) without any 429; the tier alone would send 8, and 8 in every second.
    expect(maxInAnySecond(log.map((m) => m.sentAt))).toBeLessThanOrEqual(7);

    const analytics = await analyticsOf(scenario.client, id);
    expect(analytics).toMatchObject({
      priority: 'high',
      configuredRate: 8,
      segmentsSent: count,
      etaSeconds: null,
    });
    expect(sum(analytics.timeline, 'sent')).toBe(done.progress.completed);
    expect(sum(analytics.timeline, 'failed')).toBe(done.progress.failed);
    expect(sum(analytics.timeline, 'throttled')).toBe(analytics.providerRateLimits.events);
    expect(analytics.providerRateLimits.lastRateLimit).toMatchObject({ limit: 4 });
    expect(analytics.achievedRate.overall).toBeGreaterThan(2);
    expect(analytics.achievedRate.overall).toBeLessThanOrEqual(4.5);
    expect(analytics.limiterWaitMs.max).toBeGreaterThan(0);
    expect(analytics.providerLatencyMs.p50).not.toBeNull();
  });
});

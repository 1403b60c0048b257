// Rate limiting that holds across processes: tier rates with two workers, tiers under a provider
// ceiling, and a provider that throttles. Measured on the message log's sentAt (the limiter's
// grant time on Redis's clock).
import { api, type ApiClient } from './support/api';
import { startApp, type RunningApp } from './support/app-process';
import { createBatches, maxInAnySecond, messageLog, waitForStatus } from './support/dispatch';
import { testEnv } from './support/test-env';

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
  });
});

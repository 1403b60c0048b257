// The circuit breakers on a real Redis, as two processes share them: two CircuitBreakers on two
// connections under one key prefix (this run's own, deleted afterwards). Tests of what an open
// breaker refuses use a long cool-down, so a slow machine cannot end it before they look; tests of
// what comes after it use a short one.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  CircuitBreakers,
  type Admission,
  type BreakerOptions,
} from '../../src/sms/routing/circuit-breakers';
import { deleteKeys } from '../support/redis';
import { waitFor } from '../support/wait';

const REDIS_URL = 'redis://127.0.0.1:6379';
const LONG_COOLDOWN_MS = 60_000;
const COOLDOWN_MS = 300;
const PROBE_LEASE_MS = 300;

const prefix = `salvo-test-breakers-${randomBytes(3).toString('hex')}`;
const connections: Redis[] = [];
/** Two processes' breakers. */
let one: CircuitBreakers;
let two: CircuitBreakers;
let providers = 0;
/** A provider of its own for each test, so no test sees another's breaker. */
let provider: string;

beforeAll(() => {
  connections.push(new Redis(REDIS_URL), new Redis(REDIS_URL));
});

/** The two processes' breakers, configured alike. */
function processes(options: BreakerOptions): void {
  beforeAll(() => {
    one = new CircuitBreakers(connections[0], prefix, options);
    two = new CircuitBreakers(connections[1], prefix, options);
  });
}

beforeEach(() => {
  provider = `provider-${++providers}`;
});

afterAll(async () => {
  await deleteKeys(REDIS_URL, prefix);
  await Promise.all(connections.map((connection) => connection.quit()));
});

/** `count` failures reported by the two processes in turn; the last one's transition. */
async function fail(count: number) {
  let last = null;
  for (let i = 0; i < count; i++) {
    last = await (i % 2 ? two : one).report(provider, 'failure', { probe: false });
  }
  return last;
}

/** Opens the breaker (auth) and waits out its cool-down. */
async function halfOpen(): Promise<void> {
  await one.report(provider, 'auth', { probe: false });
  await waitForState('half-open');
}

async function waitForState(state: string): Promise<void> {
  await waitFor(
    `the breaker to be ${state}`,
    async () => (await one.state(provider)).state === state,
    { timeoutMs: 5_000, everyMs: 20 },
  );
}

async function admitBoth(): Promise<Admission[]> {
  return [await one.admit(provider), await two.admit(provider)];
}

describe('CircuitBreakers closed and opening', () => {
  processes({ failures: 5, cooldownMs: LONG_COOLDOWN_MS });

  it('stays closed after 4 consecutive failures and opens on the 5th, for every process', async () => {
    expect(await fail(4)).toBeNull();
    expect(await one.state(provider)).toEqual({
      state: 'closed',
      failures: 4,
      openedAt: null,
      reopensAt: null,
      credentialsRefused: false,
      probing: false,
    });
    expect(await admitBoth()).toEqual(['closed', 'closed']);

    const opened = await fail(1);

    expect(opened).toEqual({
      provider,
      from: 'closed',
      to: 'open',
      at: expect.any(Date),
      reason: 'failures',
    });
    expect(await admitBoth()).toEqual(['refused', 'refused']);
    const status = await two.state(provider);
    expect(status).toMatchObject({
      state: 'open',
      failures: 5,
      openedAt: opened?.at,
      credentialsRefused: false,
      probing: false,
    });
    expect(status.reopensAt!.getTime() - status.openedAt!.getTime()).toBe(LONG_COOLDOWN_MS);
  });

  it('starts counting again after a success', async () => {
    await fail(4);
    expect(await two.report(provider, 'success', { probe: false })).toBeNull();
    expect((await one.state(provider)).failures).toBe(0);

    expect(await fail(4)).toBeNull();
    expect((await one.state(provider)).state).toBe('closed');
    expect(await fail(1)).toMatchObject({ to: 'open', reason: 'failures' });
  });

  it('opens at once when the credentials are refused', async () => {
    const opened = await two.report(provider, 'auth', { probe: false });

    expect(opened).toMatchObject({ provider, from: 'closed', to: 'open', reason: 'auth' });
    expect(await admitBoth()).toEqual(['refused', 'refused']);
    expect(await one.state(provider)).toMatchObject({ state: 'open', credentialsRefused: true });
  });

  it('moves an open breaker only by its probe: earlier calls reporting late change nothing', async () => {
    await one.report(provider, 'auth', { probe: false });

    expect(await two.report(provider, 'success', { probe: false })).toBeNull();
    expect(await two.report(provider, 'success', { probe: true })).toBeNull();
    expect(await one.report(provider, 'failure', { probe: false })).toBeNull();
    expect((await one.state(provider)).state).toBe('open');
  });

  it('refuses options that would make no breaker', () => {
    expect(() => new CircuitBreakers(connections[0], prefix, { failures: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreakers(connections[0], prefix, { failures: 1.5 })).toThrow(
      RangeError,
    );
    expect(() => new CircuitBreakers(connections[0], prefix, { cooldownMs: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('CircuitBreakers after the cool-down', () => {
  processes({ failures: 5, cooldownMs: COOLDOWN_MS, probeLeaseMs: PROBE_LEASE_MS });

  it('after the cool-down, admits exactly one of many concurrent callers across processes as the probe', async () => {
    await halfOpen();

    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? two : one).admit(provider)),
    );

    expect(answers.filter((answer) => answer === 'probe')).toHaveLength(1);
    expect(answers.filter((answer) => answer === 'refused')).toHaveLength(39);
  });

  it("closes on the probe's success", async () => {
    await halfOpen();
    const probe = await two.admit(provider);
    expect(probe).toBe('probe');

    const closed = await two.report(provider, 'success', { probe: probe === 'probe' });

    expect(closed).toMatchObject({
      provider,
      from: 'half-open',
      to: 'closed',
      reason: 'probe-succeeded',
    });
    expect(await admitBoth()).toEqual(['closed', 'closed']);
    expect(await one.state(provider)).toEqual({
      state: 'closed',
      failures: 0,
      openedAt: null,
      reopensAt: null,
      credentialsRefused: false,
      probing: false,
    });
  });

  it('while the probe is out, reports of calls admitted before the breaker opened change nothing', async () => {
    await halfOpen();
    expect(await one.admit(provider)).toBe('probe');

    expect(await two.report(provider, 'success', { probe: false })).toBeNull();
    expect(await two.report(provider, 'failure', { probe: false })).toBeNull();

    expect(await two.state(provider)).toMatchObject({ state: 'half-open', probing: true });
    expect(await two.admit(provider)).toBe('refused');
  });

  it("reopens on the probe's failure for a new cool-down, then probes again", async () => {
    await halfOpen();
    const first = await one.state(provider);
    expect(await one.admit(provider)).toBe('probe');

    const reopened = await one.report(provider, 'failure', { probe: true });

    expect(reopened).toMatchObject({
      provider,
      from: 'half-open',
      to: 'open',
      reason: 'probe-failed',
    });
    const status = await two.state(provider);
    expect(status.state).toBe('open');
    expect(status.openedAt).toEqual(reopened?.at);
    expect(status.openedAt!.getTime()).toBeGreaterThanOrEqual(first.reopensAt!.getTime());
    expect(status.reopensAt!.getTime() - status.openedAt!.getTime()).toBe(COOLDOWN_MS);
    expect(await admitBoth()).toEqual(['refused', 'refused']);

    await waitForState('half-open');
    expect(await two.admit(provider)).toBe('probe');
  });

  it("gives a lost probe's slot to another process once its lease runs out", async () => {
    await halfOpen();
    // The first process takes the probe and dies before it reports.
    expect(await one.admit(provider)).toBe('probe');
    expect(await two.admit(provider)).toBe('refused');

    const probe = await waitFor(
      'the probe slot to come free',
      async () => (await two.admit(provider)) === 'probe',
      { timeoutMs: 5_000, everyMs: 20 },
    );

    expect(probe).toBe(true);
    expect(await one.admit(provider)).toBe('refused');
    expect(await two.report(provider, 'success', { probe: true })).toMatchObject({
      to: 'closed',
    });
  });
});

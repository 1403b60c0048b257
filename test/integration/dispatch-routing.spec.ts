// Dispatch across several providers (issue 16) on the real PostgreSQL and Redis: each message goes
// to the first provider of its route whose breaker lets it, moves only after an answer proving the
// provider did not take it, waits while every provider of its route is down, and refused
// credentials fail the batch only when no provider of its route is left. The providers are
// scripted fakes; the breakers are the real ones (a key prefix of this run's own).
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import {
  dispatchConfig,
  redisConfig,
  routingConfig,
  type RoutingConfig,
  type SmsProviderName,
} from '../../src/config/configuration';
import type { MetricsService } from '../../src/metrics/metrics.service';
import { ProviderBreakers } from '../../src/sms/routing/provider-breakers';
import { parseRoutes } from '../../src/config/routes';
import { batchState, insertAccount, insertBatch, messagesOf } from '../factories/batch-rows';
import { deleteKeys } from '../support/redis';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import type { PermitScope } from '../../src/rate-limit/rate-limiter';
import {
  accepted,
  FakeProvider,
  GrantingLimiter,
  newTestDispatch,
  rejected,
} from './support/test-dispatch';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `salvo-test-routing-${randomBytes(3).toString('hex')}`;

const UK = '+447700900100';
const US = '+12015550100';
const US2 = '+12015550101';

/** +44 to smpp then twilio, everything else to twilio then smpp; breakers open after 2 failures. */
function routing(cooldownMs = 60_000, routes = '+44=smpp,twilio;*=twilio,smpp'): RoutingConfig {
  const known: SmsProviderName[] = ['simulated', 'twilio', 'smpp'];
  const table = parseRoutes(routes, known);
  return {
    ...routingConfig(),
    table,
    providers: [...new Set(table.routes.flatMap((route) => route.providers))],
    breaker: { failures: 2, cooldownMs },
  };
}

describe('Dispatch across providers', () => {
  let db: MigratedDatabase;
  let accountId: string;
  let redis: Redis;
  let run = 0;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the breakers log their transitions; the assertions say them here
    db = await createMigratedDatabase();
    accountId = await insertAccount(db.dataSource);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await deleteKeys(REDIS_URL, prefix);
    redis.disconnect();
    await db.drop();
  });

  /** Breakers of their own per test, so no test sees another's. */
  function breakers(config: RoutingConfig) {
    const metrics = { breakerTransitioned: () => undefined } as unknown as MetricsService;
    return new ProviderBreakers(
      redis,
      { ...redisConfig(), prefix: `${prefix}-${++run}` },
      config,
      dispatchConfig(),
      metrics,
    );
  }

  function setup(config = routing()) {
    const twilio = new FakeProvider(false);
    const smpp = new FakeProvider(false);
    const shared = breakers(config);
    const dispatch = newTestDispatch(db, {
      others: { twilio, smpp },
      routing: config,
      breakers: shared,
    });
    return { twilio, smpp, breakers: shared, dispatch };
  }

  /** The simulator (which keeps idempotency keys) first, the SMSC second; quick retries. */
  function simulatedThenSmpp(config: RoutingConfig, simulated: FakeProvider) {
    const smpp = new FakeProvider(false);
    const shared = breakers(config);
    const dispatch = newTestDispatch(db, {
      provider: simulated,
      others: { smpp },
      routing: config,
      breakers: shared,
      retry: { baseDelayMs: 1 },
    });
    return { smpp, breakers: shared, dispatch };
  }

  const to = (provider: FakeProvider) => provider.sent.map((request) => request.to);

  it('sends each message to the first provider of its route, and the log names it', async () => {
    const { twilio, smpp, dispatch } = setup();
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: UK, route: 'smpp,twilio' }, { phoneNumber: US }],
    });

    await dispatch.run(id);

    expect(to(smpp)).toEqual([UK]);
    // No stored route (a message from before routes): routed by its number.
    expect(to(twilio)).toEqual([US]);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'sent', provider: 'smpp', pinnedProvider: null },
      { status: 'sent', provider: 'twilio', pinnedProvider: null },
    ]);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'completed' });
  });

  it("moves messages to the next provider once the first one's breaker opens on 5xx answers", async () => {
    const { twilio, smpp, breakers: shared, dispatch } = setup();
    const down = rejected('provider_error', '500');
    twilio.answer(US, down).answer(US2, down);
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: US }, { phoneNumber: US2 }],
    });

    await dispatch.run(id);
    expect(to(twilio)).toEqual([US, US2]);
    expect((await shared.states(['twilio'])).get('twilio')?.state).toBe('open');
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', attempts: 1, provider: 'twilio', pinnedProvider: null },
      { status: 'pending', attempts: 1, provider: 'twilio', pinnedProvider: null },
    ]);

    await db.dataSource.query(`UPDATE messages SET next_attempt_at = now() WHERE batch_id = $1`, [
      id,
    ]);
    await dispatch.run(id);

    expect(to(smpp)).toEqual([US, US2]);
    expect(to(twilio)).toHaveLength(2);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'sent', attempts: 2, provider: 'smpp' },
      { status: 'sent', attempts: 2, provider: 'smpp' },
    ]);
  });

  it('keeps a message whose call timed out with that provider, waiting while its breaker is open', async () => {
    const config = routing(400);
    const { twilio, smpp, breakers: shared, dispatch } = setup(config);
    const timeout = rejected('timeout', 'TIMEOUT');
    twilio.answer(US, timeout).answer(US2, rejected('provider_error', '503'));
    twilio.resolveAs(US, timeout);
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: US }, { phoneNumber: US2 }],
    });

    await dispatch.run(id);
    expect((await shared.states(['twilio'])).get('twilio')?.state).toBe('open');
    const [first] = await messagesOf(db.dataSource, id);
    // Twilio keeps no idempotency key: the doubt stays with it, as OUTCOME_UNKNOWN.
    expect(first).toMatchObject({ status: 'failed', pinnedProvider: 'twilio' });
    expect(first.lastError).toMatchObject({ code: 'OUTCOME_UNKNOWN' });

    await db.dataSource.query(`UPDATE messages SET next_attempt_at = now() WHERE batch_id = $1`, [
      id,
    ]);
    await dispatch.run(id);
    // The refused one moved; the one in doubt was never offered to the SMSC.
    expect(to(smpp)).toEqual([US2]);
  });

  it('resends a timed-out message through the same provider when it honours idempotency keys', async () => {
    const config = routing(400, '+1=simulated,smpp;*=simulated');
    const simulated = new FakeProvider(true).answer(US, rejected('timeout', 'TIMEOUT'));
    const { smpp, breakers: shared, dispatch } = simulatedThenSmpp(config, simulated);
    const id = await insertBatch(db.dataSource, { accountId, messages: [{ phoneNumber: US }] });

    await dispatch.run(id);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', pinnedProvider: 'simulated' },
    ]);
    // Opened by other failures meanwhile: the message waits for it rather than moving.
    await shared.report('simulated', rejected('provider_error', '500'), { probe: false });
    await shared.report('simulated', rejected('provider_error', '500'), { probe: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await dispatch.run(id);
    expect(smpp.sent).toHaveLength(0);
    expect(dispatch.producer.calls.at(-2)).toMatchObject({ kind: 'recheckAfter' });

    // After the cool-down it goes as the probe, to the same provider with the same key.
    await new Promise((resolve) => setTimeout(resolve, 450));
    await dispatch.run(id);
    expect(simulated.sent.map((request) => request.idempotencyKey)).toEqual([
      simulated.sent[0].idempotencyKey,
      simulated.sent[0].idempotencyKey,
    ]);
    expect(smpp.sent).toHaveLength(0);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'sent', provider: 'simulated' },
    ]);
    expect((await shared.states(['simulated'])).get('simulated')?.state).toBe('closed');
  });

  it('waits while every provider of a route is down, says so, and sends when one comes back', async () => {
    const config = routing(300);
    const { twilio, smpp, breakers: shared, dispatch } = setup(config);
    for (const name of ['twilio', 'smpp'] as const) {
      await shared.report(name, rejected('provider_error', '500'), { probe: false });
      await shared.report(name, rejected('provider_error', '500'), { probe: false });
    }
    const id = await insertBatch(db.dataSource, { accountId, messages: [{ phoneNumber: US }] });

    await dispatch.run(id);
    expect(twilio.sent).toHaveLength(0);
    expect(smpp.sent).toHaveLength(0);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([{ status: 'pending', attempts: 0 }]);
    const recheck = dispatch.producer.calls.find((call) => call.kind === 'recheckAfter');
    expect(recheck?.arg).toBeGreaterThanOrEqual(1_000);

    await new Promise((resolve) => setTimeout(resolve, 350));
    await dispatch.run(id);
    // Half-open: the first provider of the route takes it as its probe, and closes.
    expect(to(twilio)).toEqual([US]);
    expect((await shared.states(['twilio'])).get('twilio')?.state).toBe('closed');
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'completed' });
  });

  it('refused credentials move the message on when its route has another provider', async () => {
    const { twilio, smpp, dispatch } = setup();
    twilio.answer(US, rejected('auth', '20003'));
    const id = await insertBatch(db.dataSource, { accountId, messages: [{ phoneNumber: US }] });

    await dispatch.run(id);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'processing' });
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', attempts: 0, lastError: { category: 'auth' } },
    ]);
    await dispatch.run(id);

    expect(to(smpp)).toEqual([US]);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'completed' });
  });

  it('refused credentials fail the batch when no provider of its route is left', async () => {
    const { twilio, smpp, breakers: shared, dispatch } = setup();
    await shared.report('smpp', rejected('auth', 'ESME_RINVPASWD'), { probe: false });
    twilio.answer(US, rejected('auth', '20003'));
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: US }, { phoneNumber: US2 }],
    });

    await dispatch.run(id);

    expect(smpp.sent).toHaveLength(0);
    expect(await batchState(db.dataSource, id)).toMatchObject({
      status: 'failed',
      failureReason: expect.stringMatching(
        /^The provider twilio refused our credentials \(20003\)/,
      ),
    });
  });

  it('keeps a message pinned after a timeout even when the retry there is refused', async () => {
    // Its breaker stays closed through both failures.
    const config = {
      ...routing(60_000, '+1=simulated,smpp;*=simulated'),
      breaker: { failures: 5, cooldownMs: 60_000 },
    };
    const simulated = new FakeProvider(true)
      .answer(US, rejected('timeout', 'TIMEOUT'))
      .answer(US, rejected('provider_error', '500'));
    const { smpp, breakers: shared, dispatch } = simulatedThenSmpp(config, simulated);
    const id = await insertBatch(db.dataSource, { accountId, messages: [{ phoneNumber: US }] });
    for (let run = 0; run < 2; run++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await dispatch.run(id);
    }
    expect(simulated.sent).toHaveLength(2);

    // The 500 answered the retry, not the call in doubt: with its provider down, the message
    // waits for it rather than going to the SMSC.
    for (let i = 0; i < 5; i++) {
      await shared.report('simulated', rejected('provider_error', '500'), { probe: false });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    await dispatch.run(id);
    expect(smpp.sent).toHaveLength(0);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', pinnedProvider: 'simulated' },
    ]);
  });

  it("pins a dead worker's claim where it called, whatever that call's retry answers", async () => {
    const config = routing(60_000, '+1=simulated,smpp;*=simulated');
    const smpp = new FakeProvider(false);
    const simulated = new FakeProvider(true).answer(US, rejected('provider_error', '500'));
    const dispatch = newTestDispatch(db, {
      provider: simulated,
      others: { smpp },
      routing: config,
      breakers: breakers(config),
    });
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [
        { phoneNumber: US, status: 'sending', claimedForS: -1, claimProvider: 'simulated' },
      ],
    });

    await dispatch.run(id);

    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'pending', pinnedProvider: 'simulated' },
    ]);
    expect(smpp.sent).toHaveLength(0);
  });

  it('fails the batch when a message pinned to the provider refusing our credentials cannot move', async () => {
    const { twilio, smpp, dispatch } = setup();
    twilio.answer(US, rejected('auth', '20003'));
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: US, pinnedProvider: 'twilio' }],
    });

    await dispatch.run(id);

    expect(smpp.sent).toHaveLength(0);
    expect(await batchState(db.dataSource, id)).toMatchObject({ status: 'failed' });
  });

  it("sends a batch's messages to a provider with permits while another's provider has none", async () => {
    class SlowTwilio extends GrantingLimiter {
      private refused = false;
      override acquire(batchId: string, priority: string, scope: PermitScope) {
        if (scope.provider === 'twilio' && !this.refused) {
          this.refused = true;
          return Promise.resolve({
            count: 0,
            atMs: [],
            delaysMs: [],
            waitMs: 300,
            allottedRate: 1,
          });
        }
        return super.acquire(batchId, priority, scope);
      }
    }
    const config = routing();
    const twilio = new FakeProvider(false);
    const smpp = new FakeProvider(false);
    const sentAt = new Map<string, number>();
    const record = (provider: FakeProvider) => {
      const send = provider.send.bind(provider);
      provider.send = (request) => {
        sentAt.set(request.to, Date.now());
        return send(request);
      };
    };
    record(twilio);
    record(smpp);
    const dispatch = newTestDispatch(db, {
      others: { twilio, smpp },
      routing: config,
      breakers: breakers(config),
      limiter: new SlowTwilio(),
    });
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: US }, { phoneNumber: UK }],
    });

    await dispatch.run(id);

    expect(to(twilio)).toEqual([US]);
    expect(to(smpp)).toEqual([UK]);
    // The UK message did not wait behind the US one's provider.
    expect(sentAt.get(UK)!).toBeLessThan(sentAt.get(US)!);
  });

  it('under a ceiling, a send that comes late takes a new permit rather than crowd the provider', async () => {
    class LateFirst extends GrantingLimiter {
      private late = true;
      override lateToleranceMs() {
        return 10;
      }
      override acquire(batchId: string, priority: string, scope: PermitScope) {
        const granted = super.acquire(batchId, priority, scope);
        if (!this.late) return granted;
        this.late = false;
        // Its time passed 200 ms before the send could go (a stalled process, say).
        return granted.then((permits) => ({
          ...permits,
          atMs: permits.atMs.map((at) => at - 200),
          delaysMs: permits.delaysMs.map(() => -200),
        }));
      }
    }
    const limiter = new LateFirst();
    const config = routing();
    const twilio = new FakeProvider(false);
    const dispatch = newTestDispatch(db, {
      others: { twilio },
      routing: config,
      breakers: breakers(config),
      limiter,
    });
    const id = await insertBatch(db.dataSource, { accountId, messages: [{ phoneNumber: US }] });
    const before = Date.now();

    await dispatch.run(id);

    expect(limiter.asked).toHaveLength(2);
    expect(to(twilio)).toEqual([US]);
    const [{ sent_at: sentAt }] = await db.dataSource.query<{ sent_at: Date }[]>(
      `SELECT sent_at FROM messages WHERE batch_id = $1`,
      [id],
    );
    // Its sentAt is the new permit's time, not the missed one.
    expect(sentAt.getTime()).toBeGreaterThanOrEqual(before - 5);
  });

  it("resolves a dead worker's claim with the provider that worker called", async () => {
    const { twilio, smpp, dispatch } = setup();
    twilio.resolveAs(US, accepted('SM-resolved'));
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [
        { phoneNumber: US, status: 'sending', claimedForS: -1, claimProvider: 'twilio' },
        { phoneNumber: UK, status: 'sending', claimedForS: -1, claimProvider: 'twilio' },
      ],
    });

    await dispatch.run(id);

    expect(twilio.resolved.map((request) => request.to)).toEqual([US, UK]);
    expect(smpp.sent).toHaveLength(0);
    expect(await messagesOf(db.dataSource, id)).toMatchObject([
      { status: 'sent', providerMessageId: 'SM-resolved', provider: 'twilio' },
      { status: 'sent', provider: 'twilio' },
    ]);
  });
});

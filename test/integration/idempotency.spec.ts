// Idempotency-Key leases on PostgreSQL: a request in flight holds its key while it renews it, a
// dead one's key is free after the lease, a request that outlived its lease records nothing, and
// expired keys are swept.
import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyRepository } from '../../src/batch/idempotency.repository';
import { IdempotencyService, type IdempotencyClaim } from '../../src/batch/idempotency.service';
import type { IngestConfig } from '../../src/config/configuration';
import { DomainError } from '../../src/errors/domain-error';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

const LEASE_MS = 1_000;

describe('Idempotency-Key leases', () => {
  let db: MigratedDatabase;
  let service: IdempotencyService;
  let accountId: string;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    const config = { idempotencyTtlHours: 24, idempotencyLeaseMs: LEASE_MS } as IngestConfig;
    service = new IdempotencyService(new IdempotencyRepository(db.dataSource), config);
    [{ id: accountId }] = await db.dataSource.query<{ id: string }[]>(
      `INSERT INTO accounts (name) VALUES ('idempotency') RETURNING id`,
    );
  });
  afterAll(() => db?.drop());

  const body = { text: 'Hi {{name}}', recipients: [] };
  const claimOf = async (key: string): Promise<IdempotencyClaim> => {
    const outcome = await service.begin(accountId, key, body);
    if (outcome.kind !== 'claimed') throw new Error(`${key} was not claimed`);
    return outcome.claim;
  };
  const complete = (claim: IdempotencyClaim) =>
    db.dataSource.transaction((manager) =>
      service.complete(manager, claim, 201, { id: claim.key }),
    );
  const inProgress = { code: 'IDEMPOTENCY_IN_PROGRESS' };

  it('a key held by a live request stays its own past the lease: it is renewed', async () => {
    const first = await claimOf('held');
    const retried = service.hold(first, async () => {
      await sleep(LEASE_MS * 2.5);
      return service.begin(accountId, 'held', body);
    });
    await expect(retried).rejects.toMatchObject(inProgress);
    await complete(first);
    expect(await service.begin(accountId, 'held', body)).toEqual({
      kind: 'replay',
      status: 201,
      body: { id: 'held' },
    });
  });

  it('a key whose request died is processed afresh once its lease ran out, and 409 before', async () => {
    await claimOf('dead'); // never renewed, never answered: its process died
    await expect(service.begin(accountId, 'dead', body)).rejects.toMatchObject(inProgress);
    await sleep(LEASE_MS + 200);
    const retry = await claimOf('dead');
    await complete(retry);
  });

  it('a request that outlived its lease and was taken over records nothing: its transaction rolls back', async () => {
    const frozen = await claimOf('frozen');
    await sleep(LEASE_MS + 200);
    const takeover = await claimOf('frozen');
    const late = db.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO accounts (name) VALUES ('written by the late request')`);
      await service.complete(manager, frozen, 201, { id: 'late' });
    });
    await expect(late).rejects.toBeInstanceOf(DomainError);
    await expect(late).rejects.toMatchObject(inProgress);
    const [{ n }] = await db.dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM accounts WHERE name = 'written by the late request'`,
    );
    expect(Number(n)).toBe(0);
    // Nor may the late request free the key it lost.
    await service.release(frozen);
    await complete(takeover);
    expect(await service.begin(accountId, 'frozen', body)).toMatchObject({
      body: { id: 'frozen' },
    });
  });

  it('sweeps keys past their TTL and abandoned claims, and nothing else', async () => {
    await db.dataSource.query(`DELETE FROM idempotency_keys`);
    await complete(await claimOf('fresh-answer'));
    await claimOf('in-flight');
    await complete(await claimOf('old-answer'));
    await claimOf('abandoned');
    await db.dataSource.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-answer'`,
    );
    await db.dataSource.query(
      `UPDATE idempotency_keys SET lease_until = now() - interval '1 second' WHERE key = 'abandoned'`,
    );
    expect(await service.sweep(1)).toBe(1);
    expect(await service.sweep(10)).toBe(1);
    expect(await service.sweep(10)).toBe(0);
    const keys = await db.dataSource.query<{ key: string }[]>(
      `SELECT key FROM idempotency_keys ORDER BY key`,
    );
    expect(keys.map(({ key }) => key)).toEqual(['fresh-answer', 'in-flight']);
  });
});

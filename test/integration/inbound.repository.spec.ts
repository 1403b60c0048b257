// InboundRepository on PostgreSQL: each provider message stored once, however often it comes.
import { InboundRepository } from '../../src/inbound/inbound.repository';
import type { InboundSms } from '../../src/sms/receipts';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';

describe('InboundRepository', () => {
  let db: MigratedDatabase;
  let repository: InboundRepository;

  beforeAll(async () => {
    db = await createMigratedDatabase();
    repository = new InboundRepository(db.dataSource);
  });
  afterAll(() => db?.drop());

  const sms = (overrides: Partial<InboundSms> = {}): InboundSms => ({
    provider: 'twilio',
    providerMessageId: 'SM00000000000000000000000000000001',
    from: '+12025550100',
    to: '+15005550006',
    body: 'STOP',
    receivedAt: new Date('2026-11-30T12:00:00.000Z'),
    ...overrides,
  });

  const rows = () =>
    db.dataSource.query<Record<string, unknown>[]>(
      `SELECT provider, provider_message_id, from_number, to_number, body, received_at
       FROM inbound_messages ORDER BY provider, provider_message_id`,
    );

  it('stores a message once, however often its provider sends it', async () => {
    expect(await repository.store(sms())).toBe(true);
    expect(await repository.store(sms({ body: 'changed on a retry' }))).toBe(false);
    const results = await Promise.all(Array.from({ length: 5 }, () => repository.store(sms())));
    expect(results.filter(Boolean)).toEqual([]);
    expect(await rows()).toEqual([
      {
        provider: 'twilio',
        provider_message_id: 'SM00000000000000000000000000000001',
        from_number: '+12025550100',
        to_number: '+15005550006',
        body: 'STOP',
        received_at: new Date('2026-11-30T12:00:00.000Z'),
      },
    ]);
  });

  it('keeps the same id of another provider apart', async () => {
    expect(await repository.store(sms({ provider: 'other', body: 'hello' }))).toBe(true);
    expect((await rows()).map((row) => [row.provider, row.body])).toEqual([
      ['other', 'hello'],
      ['twilio', 'STOP'],
    ]);
  });
});

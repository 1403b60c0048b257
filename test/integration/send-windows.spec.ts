// Send windows on the real PostgreSQL with a clock moved by hand: messages outside their window
// wait unclaimed and go when it opens; the reconciler counts them and expires them per zone.
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ManualClock } from '../../src/common/clock';
import type { SendWindow } from '../../src/config/send-window';
import { batchState, insertAccount, insertBatch, messagesOf } from '../factories/batch-rows';
import { createMigratedDatabase, type MigratedDatabase } from './support/migrated-database';
import { newReconciler } from './support/services';
import { newTestDispatch } from './support/test-dispatch';

const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
/** 09:00 to 17:00 local, every day. */
const NINE_TO_FIVE: SendWindow = {
  start: '09:00',
  end: '17:00',
  timeZone: 'recipient',
  days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};
/** UTC midnight two days from now: the tests' day, in the future of every batch's start. */
const DAY = Math.ceil(Date.now() / (24 * HOUR)) * 24 * HOUR + 24 * HOUR;

/** Gives the batch a window and each of its messages the zone key listed at its position. */
async function withWindow(db: DataSource, id: string, window: SendWindow, zones: string[]) {
  await db.query(`UPDATE batches SET send_window = $2::jsonb, send_zones = $3 WHERE id = $1`, [
    id,
    JSON.stringify(window),
    [...new Set(zones)].sort(),
  ]);
  await db.query(`UPDATE messages SET send_zone = ($2::text[])[seq + 1] WHERE batch_id = $1`, [
    id,
    zones,
  ]);
}

describe('send windows', () => {
  let db: MigratedDatabase;
  let accountId: string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await createMigratedDatabase();
    accountId = await insertAccount(db.dataSource);
  });
  afterAll(() => db.drop());

  it('sends only the messages whose window is open, and the others when theirs opens', async () => {
    // 10:00 UTC: open in UTC, closed in Tokyo (UTC+9, no DST), where it is 19:00.
    const clock = new ManualClock(DAY + 10 * HOUR);
    const dispatch = newTestDispatch(db, { clock, retry: { validityMs: WEEK } });
    const id = await insertBatch(db.dataSource, {
      accountId,
      messages: [{ phoneNumber: '+442079460000' }, { phoneNumber: '+81312345678' }],
    });
    await withWindow(db.dataSource, id, NINE_TO_FIVE, ['UTC', 'Asia/Tokyo']);

    await dispatch.run(id);
    expect((await messagesOf(db.dataSource, id)).map((m) => m.status)).toEqual(['sent', 'pending']);
    expect(dispatch.provider.sent.map((r) => r.to)).toEqual(['+442079460000']);
    // Tokyo's 09:00 is 00:00 UTC: the chunk is looked at again then, 14 hours on.
    const recheck = dispatch.producer.calls.find((c) => c.kind === 'recheckAfter');
    expect(recheck?.arg).toBeGreaterThanOrEqual(14 * HOUR);
    expect(recheck?.arg).toBeLessThan(14 * HOUR + 5_000);

    // Still closed: the recheck sends nothing and asks the limiter for nothing.
    const asked = dispatch.limiter.asked.length;
    clock.set(DAY + 20 * HOUR);
    await dispatch.run(id);
    expect(dispatch.limiter.asked).toHaveLength(asked);
    expect(dispatch.provider.sent).toHaveLength(1);

    // Its window opens.
    clock.set(DAY + 24 * HOUR + 60_000);
    await dispatch.run(id);
    expect((await messagesOf(db.dataSource, id)).map((m) => m.status)).toEqual(['sent', 'sent']);
    expect(dispatch.provider.sent.map((r) => r.to)).toEqual(['+442079460000', '+81312345678']);
  });

  it("counts a message's validity from its window's first opening", async () => {
    // The batch started an hour ago with a validity of 30 minutes: without a window it would
    // have expired. Its window (UTC) opens within the next two hours; its message goes then,
    // valid for 30 minutes from that opening.
    const now = Date.now();
    const clock = new ManualClock(now);
    const dispatch = newTestDispatch(db, { clock, retry: { validityMs: HOUR / 2 } });
    const id = await insertBatch(db.dataSource, {
      accountId,
      startedAgoS: 3600,
      messages: [{ phoneNumber: '+442079460001' }],
    });
    const opens = hourStart(now) + HOUR;
    await withWindow(db.dataSource, id, utcHours(opens, 1), ['UTC']);
    await dispatch.run(id);
    expect(dispatch.provider.sent).toHaveLength(0);

    clock.set(opens + 60_000);
    await dispatch.run(id);
    expect(dispatch.provider.sent.map((r) => r.validUntil.getTime())).toEqual([opens + HOUR / 2]);
    expect((await messagesOf(db.dataSource, id)).map((m) => m.status)).toEqual(['sent']);
  });

  it('the reconciler records what waits outside its window, and expires per zone', async () => {
    // A window open in UTC since the last hour, for two hours; in UTC-3 it opens in under two.
    const now = Date.now();
    const clock = new ManualClock(now);
    const id = await insertBatch(db.dataSource, { accountId, startedAgoS: 7200, messages: 3 });
    const window = utcHours(hourStart(now) - HOUR, 2);
    await withWindow(db.dataSource, id, window, ['UTC', 'Etc/GMT+3', 'Etc/GMT+3']);
    const { reconciler } = newReconciler(db.dataSource, {
      clock,
      retry: { validityMs: WEEK },
      withJobs: [id],
    });
    await reconciler.reconcile();
    const [row] = await db.dataSource.query<{ outside: number; next: Date | null }[]>(
      `SELECT outside_window AS outside, next_window_at AS next FROM batches WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ outside: 2, next: new Date(hourStart(now) + 2 * HOUR) });

    // A validity of a minute: UTC's window opened over a minute ago, UTC-3's has not yet; only
    // the UTC message expires.
    const { reconciler: strict } = newReconciler(db.dataSource, {
      clock,
      retry: { validityMs: 60_000 },
      withJobs: [id],
    });
    await strict.reconcile();
    const messages = await messagesOf(db.dataSource, id);
    expect(messages.map((m) => m.status)).toEqual(['failed', 'pending', 'pending']);
    expect(messages[0].lastError).toMatchObject({ code: 'VALIDITY_EXPIRED' });
    // The counters moved with the message, and the error log has it.
    const state = await batchState(db.dataSource, id);
    expect(state).toMatchObject({ pending: 2, failed: 1 });
    expect(state.counted).toEqual({ pending: 2, completed: 0, failed: 1, cancelled: 0 });
    const [logged] = await db.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM message_errors WHERE batch_id = $1 AND code = 'VALIDITY_EXPIRED'`,
      [id],
    );
    expect(logged.count).toBe(1);
  });

  it('counts a message whose window never opens as waiting, with no next window', async () => {
    // An hour's window in Tokyo and in New York at once never overlaps (a key kept at ingest
    // whose zones drifted apart).
    const id = await insertBatch(db.dataSource, { accountId, messages: 1 });
    const window = { ...NINE_TO_FIVE, start: '09:00', end: '10:00' };
    await withWindow(db.dataSource, id, window, ['America/New_York|Asia/Tokyo']);
    const { reconciler } = newReconciler(db.dataSource, {
      clock: new ManualClock(Date.now()),
      retry: { validityMs: WEEK },
      withJobs: [id],
    });
    await reconciler.reconcile();
    const [row] = await db.dataSource.query<{ outside: number; next: Date | null }[]>(
      `SELECT outside_window AS outside, next_window_at AS next FROM batches WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ outside: 1, next: null });
  });
});

function hourStart(ms: number): number {
  return Math.floor(ms / HOUR) * HOUR;
}

/** A window of `hours` from the UTC hour at `opensAt`, every day, in the recipient's zone. */
function utcHours(opensAt: number, hours: number): SendWindow {
  const hh = (h: number) => `${String(((h % 24) + 24) % 24).padStart(2, '0')}:00`;
  const start = new Date(opensAt).getUTCHours();
  return { ...NINE_TO_FIVE, start: hh(start), end: hh(start + hours) };
}

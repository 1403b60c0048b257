import type Redis from 'ioredis';
import type { RedisConfig } from '../../config/configuration';
import { BatchEvents } from './batch-events';

/** A Redis whose PUBLISH fails while `down`, recording what reached it. */
function flakyRedis() {
  const published: Buffer[] = [];
  const redis = {
    down: false,
    publish: jest.fn((_channel: string, message: string | Buffer) => {
      if (redis.down) return Promise.reject(new Error('Connection is closed.'));
      published.push(Buffer.from(message));
      return Promise.resolve(1);
    }),
  };
  return { redis, published };
}

/** Whether a published message is a `lost` notice since `since` (msgpack keeps strings as UTF-8). */
const isLost = (message: Buffer, since: string) =>
  message.includes('lost') && message.includes(since);

describe('BatchEvents', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-12-01T02:00:00.000Z') }));
  afterEach(() => jest.useRealTimers());

  it('says `lost`, with when notices began to be lost, as soon as Redis takes notices again', async () => {
    const { redis, published } = flakyRedis();
    const events = new BatchEvents(redis as unknown as Redis, { prefix: 't' } as RedisConfig);
    redis.down = true;
    const since = new Date().toISOString();
    events.progressed([{ id: 'b1', accountId: 'a1' }]);
    await jest.advanceTimersByTimeAsync(5_000); // tried every second meanwhile, in vain
    expect(published).toEqual([]);
    redis.down = false;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(published.filter((m) => isLost(m, since)).length).toBeGreaterThanOrEqual(1);
    // Said, then quiet: no more `lost` while nothing is lost.
    const said = published.length;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(published).toHaveLength(said);
    events.onApplicationShutdown();
  });

  it('says nothing of the kind while every notice gets through', async () => {
    const { redis, published } = flakyRedis();
    const events = new BatchEvents(redis as unknown as Redis, { prefix: 't' } as RedisConfig);
    events.progressed([{ id: 'b1', accountId: 'a1' }]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(published).toHaveLength(1);
    expect(published[0].includes('lost')).toBe(false);
  });
});

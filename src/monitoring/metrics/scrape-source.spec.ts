// A scrape-time read: bounded in time, never throwing, and one warning per outage.
import { ScrapeSource } from './scrape-source';

const newSource = (read: () => Promise<number>, timeoutMs = 50) => {
  const logger = { warn: jest.fn(), log: jest.fn() };
  return { source: new ScrapeSource('the thing (Redis)', read, timeoutMs, logger), logger };
};

describe('ScrapeSource', () => {
  it('answers what the read answers', async () => {
    const { source } = newSource(() => Promise.resolve(7));
    await expect(source.tryRead()).resolves.toBe(7);
  });

  it.each<[string, () => Promise<number>]>([
    ['a failed read', () => Promise.reject(new Error('ECONNREFUSED'))],
    ['a read that never answers', () => new Promise<number>(() => undefined)],
  ])('answers undefined for %s, within the timeout', async (_case, read) => {
    const { source } = newSource(read);
    const started = Date.now();
    await expect(source.tryRead()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('warns once per outage, and says when the source is back', async () => {
    let up = false;
    const { source, logger } = newSource(() =>
      up ? Promise.resolve(1) : Promise.reject(new Error('down')),
    );
    for (let i = 0; i < 3; i++) await source.tryRead();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toMatch(/cannot read the thing \(Redis\) \(down\)/);
    up = true;
    await expect(source.tryRead()).resolves.toBe(1);
    await source.tryRead();
    expect(logger.log).toHaveBeenCalledTimes(1);
    up = false;
    await source.tryRead();
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });
});

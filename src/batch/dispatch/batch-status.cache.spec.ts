import { BatchStatusCache } from './batch-status.cache';
import type { BatchView, DispatchRepository } from './dispatch.repository';

describe('BatchStatusCache', () => {
  /** A repository answering these views in turn, counting reads. */
  const reading = (...views: BatchView[]) => {
    let reads = 0;
    const repository = {
      view: () => Promise.resolve(views[Math.min(reads++, views.length - 1)]),
    } as unknown as DispatchRepository;
    return { cache: new BatchStatusCache(repository), reads: () => reads };
  };

  it('answers from a fresh view without reading again', async () => {
    const { cache, reads } = reading({ status: 'processing', generation: 1 });
    expect(await cache.current('b', 1)).toBe(true);
    expect(await cache.current('b', 1)).toBe(true);
    expect(reads()).toBe(1);
  });

  it("an older generation's job stops once the batch was queued afresh", async () => {
    const { cache } = reading(
      { status: 'processing', generation: 1 },
      { status: 'processing', generation: 2 },
    );
    expect(await cache.current('b', 1)).toBe(true);
    expect(await cache.current('b', 2)).toBe(true);
    expect(await cache.current('b', 1)).toBe(false);
  });

  it("a newer generation's job reads again a view cached before the batch was queued afresh", async () => {
    const { cache, reads } = reading(
      { status: 'processing', generation: 1 },
      { status: 'processing', generation: 2 },
    );
    expect(await cache.current('b', 1)).toBe(true);
    expect(await cache.current('b', 2)).toBe(true);
    expect(reads()).toBe(2);
  });

  it('a paused batch is nobody’s to send', async () => {
    const { cache } = reading({ status: 'paused', generation: 3 });
    expect(await cache.current('b', 3)).toBe(false);
  });
});

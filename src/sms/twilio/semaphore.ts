// At most `limit` tasks at once (TWILIO_MAX_CONCURRENCY); the others wait their turn in order, for
// at most a bound when one is given.

/** A task that got no place within its bound: it never ran, so nothing was sent. */
export class NoSlotError extends Error {
  override readonly name = 'NoSlotError';

  constructor(readonly waitedMs: number) {
    super(`No place free within ${waitedMs} ms.`);
  }
}

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /**
   * Runs `task` once a place is free; a task aborted while it waits, or still waiting after
   * `maxWaitMs` (then NoSlotError), is never run.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal, maxWaitMs?: number): Promise<T> {
    await this.acquire(signal, maxWaitMs);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal, maxWaitMs?: number): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.waiting.splice(this.waiting.indexOf(turn), 1);
      };
      const turn = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        this.active++;
        resolve();
      };
      const abort = () => {
        leave();
        reject(signal?.reason as Error);
      };
      this.waiting.push(turn);
      signal?.addEventListener('abort', abort, { once: true });
      if (maxWaitMs !== undefined) {
        timer = setTimeout(() => {
          leave();
          reject(new NoSlotError(maxWaitMs));
        }, maxWaitMs);
      }
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

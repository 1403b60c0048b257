// At most `limit` tasks at once (TWILIO_MAX_CONCURRENCY); the others wait their turn in order.

export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Runs `task` once a place is free; a task aborted while it waits is never run. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        signal?.removeEventListener('abort', abort);
        this.active++;
        resolve();
      };
      const abort = () => {
        this.waiting.splice(this.waiting.indexOf(turn), 1);
        reject(signal?.reason as Error);
      };
      this.waiting.push(turn);
      signal?.addEventListener('abort', abort, { once: true });
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

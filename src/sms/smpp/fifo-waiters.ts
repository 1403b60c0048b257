// Submits waiting for window room on a bind, served oldest first.

/** Why a wait ended without being served. */
export type WaitEnd = 'expired' | 'aborted' | 'closing';

interface Waiter<T> {
  use(item: T): void;
  end(why: WaitEnd): void;
}

export class FifoWaiters<T> {
  private readonly queue: Waiter<T>[] = [];

  get size(): number {
    return this.queue.length;
  }

  /**
   * Waits until `serve` hands this waiter an item, then answers what `use` made of it. `use` runs
   * in the same tick as `serve`, so the item (a place in a window) cannot be taken by anyone else
   * in between. Answers a WaitEnd instead at `deadline` (epoch ms), when `signal` aborts, or when
   * `closeAll` is called; a waiter that has ended is never served afterwards.
   */
  wait<R>(
    use: (item: T) => R | Promise<R>,
    options: { deadline: number; signal?: AbortSignal },
  ): Promise<R | WaitEnd> {
    return new Promise((resolve) => {
      const { signal } = options;
      const stop = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
      };
      const waiter: Waiter<T> = {
        use: (item) => {
          stop();
          resolve(use(item));
        },
        end: (why) => {
          stop();
          resolve(why);
        },
      };
      const onAbort = (): void => waiter.end('aborted');
      const timer = setTimeout(
        () => waiter.end('expired'),
        Math.max(0, options.deadline - Date.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  /** Hands items from `next` to the oldest waiters while there are both. */
  serve(next: () => T | undefined): void {
    while (this.queue.length > 0) {
      const item = next();
      if (item === undefined) return;
      this.queue[0].use(item);
    }
  }

  /** Ends every wait with 'closing'. */
  closeAll(): void {
    for (const waiter of [...this.queue]) waiter.end('closing');
  }
}

// A counting semaphore whose waiters give up after a while: how many large bodies a process reads
// and handles at once.

/** Call to give the slot back; calling it again does nothing. */
export type Release = () => void;

export class Slots {
  private used = 0;
  private readonly waiters: Array<(release: Release) => void> = [];

  constructor(private readonly size: number) {}

  /** A slot, or undefined when none came free within `waitMs`. */
  acquire(waitMs: number): Promise<Release | undefined> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter = (release: Release) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, waitMs);
      this.waiters.push(waiter);
    });
  }

  get inUse(): number {
    return this.used;
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the longest waiter, so a newcomer cannot overtake it.
      const next = this.waiters.shift();
      if (next) next(this.releaser());
      else this.used--;
    };
  }
}

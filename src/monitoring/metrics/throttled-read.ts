// A costly read shared by every scrape for a while: Prometheus may scrape as often as it likes, the
// read behind it runs at most once per `freshMs`, and a scrape never waits for it once a value exists.
export class ThrottledRead<T> {
  private last?: { at: number; value: T };
  private inFlight?: Promise<T>;

  constructor(
    private readonly read: () => Promise<T>,
    /** A value younger than this is served without reading. */
    private readonly freshMs: number,
    /** An older value than this is not served: the scrape waits for the read (and may fail). */
    private readonly staleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last value while fresh; else a refresh starts, and the last value serves while not stale. */
  get(): Promise<T> {
    const age = this.last ? this.now() - this.last.at : Infinity;
    if (this.last && age < this.freshMs) return Promise.resolve(this.last.value);
    const refresh = this.refresh();
    if (this.last && age < this.staleMs) {
      // Its failure shows once the value turns stale, when a scrape waits for a read.
      refresh.catch(() => undefined);
      return Promise.resolve(this.last.value);
    }
    return refresh;
  }

  private refresh(): Promise<T> {
    this.inFlight ??= this.read()
      .then((value) => {
        this.last = { at: this.now(), value };
        return value;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}

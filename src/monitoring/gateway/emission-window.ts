/**
 * At most `limit` emissions in any `windowMs`: the pacing of `batch:progress` per batch. It keeps
 * the last `limit` emission times; the next may go once the oldest of them is a window old.
 */
export class EmissionWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** How long until an emission fits, 0 when one may go now. */
  waitMs(now: number): number {
    if (this.times.length < this.limit) return 0;
    return Math.max(0, this.times[0] + this.windowMs - now);
  }

  record(now: number): void {
    this.times.push(now);
    if (this.times.length > this.limit) this.times.shift();
  }

  /** When the last emission went, or -Infinity. */
  lastAt(): number {
    return this.times.length ? this.times[this.times.length - 1] : -Infinity;
  }
}

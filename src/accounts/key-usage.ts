// When to record that a key was used: at most once per key per process per interval, so that
// `last_used_at` costs no write per request. A key's lastUsedAt may therefore lag its latest use by
// up to the interval (a minute), per process.

export const KEY_USAGE_INTERVAL_MS = 60_000;
/** Past this many keys remembered, entries older than the interval are dropped (they are due anyway). */
const PRUNE_ABOVE = 10_000;

export class KeyUsageWrites {
  /** Key id → when this process last decided to write its use. */
  private readonly written = new Map<string, number>();

  constructor(private readonly intervalMs = KEY_USAGE_INTERVAL_MS) {}

  /** True when a use of `keyId` at `now` should be written (and counts it as written). */
  due(keyId: string, now: number): boolean {
    const last = this.written.get(keyId);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (this.written.size >= PRUNE_ABOVE) this.prune(now);
    this.written.set(keyId, now);
    return true;
  }

  /** The write failed: the next use may try again. */
  failed(keyId: string): void {
    this.written.delete(keyId);
  }

  get size(): number {
    return this.written.size;
  }

  private prune(now: number): void {
    for (const [keyId, at] of this.written) {
      if (now - at >= this.intervalMs) this.written.delete(keyId);
    }
  }
}

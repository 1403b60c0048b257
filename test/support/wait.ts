// Waiting for the system to get somewhere, with a deadline instead of fixed sleeps.
import { setTimeout as sleep } from 'node:timers/promises';

export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined | null | false>,
  { timeoutMs = 30_000, everyMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${description} (last: ${String(last)})`,
      );
    }
    await sleep(everyMs);
  }
}

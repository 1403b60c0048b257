// Bounds a wait: for a dependency that may hang (a disconnected Redis queues commands, a PostgreSQL
// pool may wait for a connection), answer in time rather than never.

/**
 * Named apart from AbortSignal.timeout's DOMException ('TimeoutError', around provider calls):
 * errors/unavailable.ts reads this name as "PostgreSQL or Redis did not answer in time".
 */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DependencyTimeoutError';
  }
}

/** Settles with `promise`, or rejects with a TimeoutError after `ms`; the timer never holds the process. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

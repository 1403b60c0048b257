// What the benchmarks share: settings that lift every rate limit, and a JSON client for the API.
import { setTimeout as sleep } from 'node:timers/promises';

/** Every rate limit lifted: for benchmarks that measure dispatch, not the limiter. */
const LIFTED = String(1_000_000);
export const LIFTED_RATES = {
  PROVIDER_MAX_MPS: '0', // dispatch is measured, not the provider's ceiling
  RATE_LIMIT_HIGH: LIFTED,
  RATE_LIMIT_NORMAL: LIFTED,
  RATE_LIMIT_LOW: LIFTED,
};

/** Calls the API at `url` with an API key and answers the JSON body (whatever the status). */
export function apiCaller(url: string, apiKey: string) {
  return (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> =>
    fetch(`${url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    }).then((r) => r.json() as Promise<Record<string, unknown>>);
}

/** Starts a batch created with `autoStart: false` and answers its status once it stops processing. */
export async function startAndWait(
  call: ReturnType<typeof apiCaller>,
  id: string,
): Promise<Record<string, unknown>> {
  await call('POST', `/api/batch/${id}/start`);
  let status: Record<string, unknown>;
  do {
    await sleep(250);
    status = await call('GET', `/api/batch/${id}`);
  } while (status.status === 'processing');
  return status;
}

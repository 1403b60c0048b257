// Reading what dispatch did: the batch as the API shows it, the message log, the simulator's ledger.
import { recipients, TEMPLATE } from '../factories/batch.factory';
import type { ApiClient } from './api';
import { query } from './database';
import { testEnv } from './test-env';
import { waitFor } from './wait';

export interface Progress {
  total: number;
  pending: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface Delivery {
  delivered: number;
  undelivered: number;
  awaiting: number;
  unknown: number;
}

export interface BatchStatusBody {
  id: string;
  status: string;
  progress: Progress;
  delivery: Delivery;
  metrics: { messagesPerSecond: number; successRate: number; deliveryRate: number | null };
  startedAt: string | null;
  completedAt: string | null;
  pauseReason: string | null;
  failureReason: string | null;
  waiting: { providersDown: string[]; outsideWindow: number; nextWindowAt: string | null };
}

export interface LoggedMessage {
  id: string;
  phoneNumber: string;
  status: string;
  attempts: number;
  sentAt: string | null;
  provider: 'simulated' | 'twilio' | 'smpp' | null;
  lastError: { category: string; code: string; message: string } | null;
  deliveryStatus: 'awaiting' | 'delivered' | 'undelivered' | 'unknown' | null;
  deliveredAt: string | null;
  deliveryError: { category: string; code: string; message: string } | null;
  providerStatus: string | null;
}

/**
 * Dispatch in fast motion: rates lifted (no provider ceiling), short leases, timeouts and retry
 * delays, a quick reconciler, no circuit breaker. Files add what they measure (RATE_LIMIT_LOW, say).
 */
export const FAST_DISPATCH = {
  PROVIDER_MAX_MPS: '0',
  RATE_LIMIT_HIGH: '1000',
  RATE_LIMIT_NORMAL: '1000',
  CLAIM_LEASE_MS: '2000',
  PROVIDER_TIMEOUT_MS: '500',
  RECONCILE_INTERVAL_MS: '300',
  RETRY_BASE_DELAY_MS: '20',
  RETRY_MAX_DELAY_MS: '100',
  // Tests of failures and retries fail many calls in a row on purpose, and refuse credentials
  // (which opens a breaker at once): the providers' breakers (test/routing.e2e-spec.ts tests them)
  // stay out of their way.
  BREAKER_FAILURES: '10000',
  BREAKER_COOLDOWN_MS: '200',
};

/** docs/ARCHITECTURE.md, "Invariants": total = pending + completed + failed + cancelled at every read. */
export function addsUp({ total, pending, completed, failed, cancelled }: Progress): boolean {
  return total === pending + completed + failed + cancelled;
}

/** The delivery counts add up to the accepted messages (README, "Delivery receipts"). */
export function deliveryAddsUp({ progress, delivery }: BatchStatusBody): boolean {
  const { delivered, undelivered, awaiting, unknown } = delivery;
  return delivered + undelivered + awaiting + unknown === progress.completed;
}

/**
 * What of a finished batch stays put: everything but its delivery counts and rate, which move as
 * receipts come after the batch is final.
 */
export function settledPart({
  delivery: _delivery,
  metrics: { deliveryRate: _rate, ...metrics },
  ...rest
}: BatchStatusBody) {
  return { ...rest, metrics };
}

export async function batchStatus(client: ApiClient, id: string): Promise<BatchStatusBody> {
  const response = await client.get(`/api/batch/${id}`).expect(200);
  return response.body as BatchStatusBody;
}

/**
 * Polls until the batch reaches one of `statuses`, and fails if any read along the way had
 * counters that did not add up.
 */
export async function waitForStatus(
  client: ApiClient,
  id: string,
  statuses: string[],
  timeoutMs = 60_000,
): Promise<BatchStatusBody> {
  const wrongReads: Progress[] = [];
  const batch = await waitFor(
    `batch ${id} to be ${statuses.join(' or ')}`,
    async () => {
      const read = await batchStatus(client, id);
      if (!addsUp(read.progress)) wrongReads.push(read.progress);
      return statuses.includes(read.status) ? read : undefined;
    },
    { timeoutMs },
  );
  expect(wrongReads).toEqual([]);
  return batch;
}

/** The whole message log, in recipient order. */
export async function messageLog(client: ApiClient, id: string): Promise<LoggedMessage[]> {
  const messages: LoggedMessage[] = [];
  let cursor: string | null = null;
  do {
    const page = await client
      .get(`/api/batch/${id}/messages?limit=500${cursor ? `&cursor=${cursor}` : ''}`)
      .expect(200);
    const body = page.body as { items: LoggedMessage[]; nextCursor: string | null };
    messages.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return messages;
}

/** The most sends of one batch in any half-open 1-second window of their sentAt. */
export function maxInAnySecond(sentAt: (string | null)[]): number {
  const times = sentAt
    .filter((t): t is string => t !== null)
    .map((t) => Date.parse(t))
    .sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

/**
 * What the simulator accepted for a batch's messages. Its ledger has one row per idempotency key
 * (the message id), so `accepted` counts messages accepted; `replays` counts calls that repeated an
 * accepted message (the provider does not send it again, but a replay means Salvo called twice).
 */
export async function ledgerOf(
  batchId: string,
  databaseUrl = testEnv().databaseUrl,
): Promise<{ accepted: number; replays: number }> {
  const [row] = await query<{ accepted: string; replays: string }>(
    databaseUrl,
    `SELECT count(*) AS accepted, COALESCE(sum(l.replays), 0) AS replays
     FROM simulator_ledger l JOIN messages m ON m.id = l.idempotency_key
     WHERE m.batch_id = $1`,
    [batchId],
  );
  return { accepted: Number(row.accepted), replays: Number(row.replays) };
}

/** One batch per entry, created at once; answers their ids in the same order. */
export async function createBatches(
  client: ApiClient,
  batches: { priority: 'high' | 'normal' | 'low'; count: number }[],
): Promise<string[]> {
  return Promise.all(
    batches.map(async ({ priority, count }) => {
      const created = await client
        .post('/api/batch', {
          text: TEMPLATE,
          recipients: recipients(count),
          options: { priority },
        })
        .expect(201);
      return created.body.id as string;
    }),
  );
}

// What the suite asserts after each fault, counted where it matters: message rows in PostgreSQL,
// acceptances at the provider (the fake Twilio's record, the simulator's ledger), the batch's
// counters as the API shows them. Findings are collected as sentences rather than thrown, so a
// scenario's summary is printed (and written to the report) whether it passed or not.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from '../../support/api';
import type { BatchStatusBody } from '../../support/dispatch';
import { maxInAnySecond } from '../../support/dispatch';
import { query } from '../../support/database';
import type { FakeTwilio } from '../../support/fake-twilio';

const FINAL_BATCH = ['completed', 'failed', 'cancelled'];

export interface MessageRow {
  id: string;
  phone_number: string;
  status: string;
  sent_at: Date | null;
  provider_message_id: string | null;
  last_error: { category: string; code: string } | null;
}

/** Where acceptances are counted: the fake Twilio (no idempotency key) or the simulator's ledger. */
export type Provider = { kind: 'twilio'; twilio: FakeTwilio } | { kind: 'simulated' };

/** What a scenario counts of its batches' messages (summed over them in its report). */
export interface MessageCounts {
  messages: number;
  /** Rows still pending or sending once the batch should be done. */
  lost: number;
  /** Acceptances beyond the first for one message. */
  duplicates: number;
  /** failed with OUTCOME_UNKNOWN: the provider may or may not have it. */
  inDoubt: number;
  /** Of those, how many the provider did accept (a message sent that Salvo reports failed). */
  inDoubtAccepted: number;
  /** failed for any other reason: every recipient is one the provider accepts, so a defect. */
  failedOther: number;
  /**
   * Calls the simulator's ledger saw again under an accepted key (Salvo calling twice, not a
   * second SMS); with the simulator, duplicates are 0 by construction and this is the figure.
   */
  replays: number;
}

export interface BatchFindings extends MessageCounts {
  /** Acceptance times at the provider (ms), for recovery. */
  acceptedAt: number[];
  /** When the check was done: a batch still unfinished then has been stalled until at least this. */
  checkedAt: number;
  problems: string[];
}

export interface VerifyOptions {
  client: ApiClient;
  databaseUrl: string;
  provider: Provider;
  /** The batch's rate (messages per second). */
  rate: number;
  /**
   * Redis came back empty at this instant: the second from the first send after it may exceed the
   * rate (the limiter's state was lost with Redis; docs/RELIABILITY.md, "Known limits").
   */
  rateExemptAfter?: number;
  /** How long the batch may take to become final from now. */
  finalWithinMs: number;
  /** Resume it when the error-rate guard paused it (scenario 7). */
  resumeWhenPaused?: boolean;
  /** The scenario expects messages to fail other than in doubt (none does yet). */
  failedOtherExpected?: boolean;
}

/** Waits for the batch to be final (nothing pending), then checks it against the provider. */
export async function verifyBatch(batchId: string, options: VerifyOptions): Promise<BatchFindings> {
  const problems: string[] = [];
  const batch = await waitUntilFinal(batchId, options, problems);
  const rows = await query<MessageRow>(
    options.databaseUrl,
    `SELECT id, phone_number, status, sent_at, provider_message_id, last_error
     FROM messages WHERE batch_id = $1`,
    [batchId],
  );
  const lost = rows.filter((r) => r.status === 'pending' || r.status === 'sending').length;
  if (lost) problems.push(`${lost} messages still pending or sending`);
  problems.push(...counterMismatches(batch, rows));
  const unknown = rows.filter((r) => r.last_error?.code === 'OUTCOME_UNKNOWN');
  for (const r of unknown) {
    if (r.status !== 'failed' || r.last_error?.category !== 'unknown') {
      problems.push(
        `message ${r.id} has OUTCOME_UNKNOWN but is ${r.status}/${r.last_error?.category}`,
      );
    }
  }
  const failedOther = rows.filter(
    (r) => r.status === 'failed' && r.last_error?.code !== 'OUTCOME_UNKNOWN',
  );
  if (failedOther.length && !options.failedOtherExpected) {
    const first = failedOther[0].last_error;
    problems.push(
      `${failedOther.length} messages failed other than in doubt (e.g. ${first?.category}/${first?.code})`,
    );
  }
  const acceptances = await acceptancesOf(batchId, rows, options);
  problems.push(...acceptances.problems);
  problems.push(...rateBreaches(rows, options.rate, options.rateExemptAfter));
  return {
    messages: rows.length,
    lost,
    duplicates: acceptances.duplicates,
    inDoubt: unknown.length,
    inDoubtAccepted: acceptances.inDoubtAccepted,
    failedOther: failedOther.length,
    replays: acceptances.replays,
    acceptedAt: acceptances.acceptedAt,
    checkedAt: Date.now(),
    problems,
  };
}

async function waitUntilFinal(
  batchId: string,
  { client, finalWithinMs, resumeWhenPaused }: VerifyOptions,
  problems: string[],
): Promise<BatchStatusBody | undefined> {
  const deadline = Date.now() + finalWithinMs;
  let last: BatchStatusBody | undefined;
  let lastAnswer = '';
  for (;;) {
    const response = await client.get(`/api/batch/${batchId}`).catch((e: Error) => e);
    if (response instanceof Error || response.status !== 200) {
      lastAnswer = response instanceof Error ? response.message : String(response.status);
    } else {
      last = response.body as BatchStatusBody;
      if (FINAL_BATCH.includes(last.status) && last.progress.pending === 0) return last;
      if (resumeWhenPaused && last.status === 'paused') {
        await client.post(`/api/batch/${batchId}/resume`).catch(() => undefined);
      }
    }
    if (Date.now() > deadline) {
      problems.push(
        `batch not final within ${finalWithinMs / 1000} s: ${
          last ? `${last.status} ${JSON.stringify(last.progress)}` : `no read (${lastAnswer})`
        }`,
      );
      return last;
    }
    await sleep(250);
  }
}

/** The API's counters against a recount of the rows (pending counts pending and sending). */
function counterMismatches(batch: BatchStatusBody | undefined, rows: MessageRow[]): string[] {
  if (!batch) return ['no read of the batch to compare its counters with'];
  const count = (...statuses: string[]) => rows.filter((r) => statuses.includes(r.status)).length;
  const recount = {
    total: rows.length,
    pending: count('pending', 'sending'),
    completed: count('sent'),
    failed: count('failed'),
    cancelled: count('cancelled'),
  };
  const shown = batch.progress;
  const same = (Object.keys(recount) as (keyof typeof recount)[]).every(
    (key) => shown[key] === recount[key],
  );
  return same
    ? []
    : [`counters ${JSON.stringify(shown)} differ from the rows ${JSON.stringify(recount)}`];
}

interface Acceptances {
  duplicates: number;
  inDoubtAccepted: number;
  replays: number;
  acceptedAt: number[];
  problems: string[];
}

/**
 * How many times the provider accepted each message: at most once, exactly once when Salvo says
 * sent, never when Salvo says it definitely failed; a message in doubt may go either way.
 */
async function acceptancesOf(
  batchId: string,
  rows: MessageRow[],
  { provider, databaseUrl }: VerifyOptions,
): Promise<Acceptances> {
  // Acceptances per message (Twilio: by To, unique within a batch and a fake per scenario).
  const counts = new Map<string, number>();
  const acceptedAt: number[] = [];
  const problems: string[] = [];
  let replays = 0;
  if (provider.kind === 'twilio') {
    const byNumber = new Map(rows.map((r) => [r.phone_number, r.id]));
    const toOfSid = new Map<string, string>();
    for (const m of provider.twilio.messages) {
      const id = byNumber.get(m.to);
      if (!id) continue;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      toOfSid.set(m.sid, m.to);
      acceptedAt.push(m.dateCreated.getTime());
    }
    // And by sid: a sent message's provider_message_id is one the fake created for its number.
    const unmatched = rows.filter(
      (r) => r.status === 'sent' && toOfSid.get(r.provider_message_id ?? '') !== r.phone_number,
    );
    if (unmatched.length) {
      problems.push(
        `${unmatched.length} sent messages whose provider_message_id the fake Twilio did not create for their number`,
      );
    }
  } else {
    const ledger = await query<{ key: string; replays: number; accepted_at: Date }>(
      databaseUrl,
      `SELECT l.idempotency_key AS key, l.replays, l.accepted_at
       FROM simulator_ledger l JOIN messages m ON m.id = l.idempotency_key
       WHERE m.batch_id = $1`,
      [batchId],
    );
    for (const entry of ledger) {
      // One row per key: the simulator does not send an accepted key again (a replay).
      counts.set(entry.key, 1);
      replays += entry.replays;
      acceptedAt.push(entry.accepted_at.getTime());
    }
  }
  let duplicates = 0;
  let inDoubtAccepted = 0;
  const wrong = { sentNotAccepted: 0, failedButAccepted: 0 };
  for (const row of rows) {
    const n = counts.get(row.id) ?? 0;
    if (n > 1) duplicates += n - 1;
    const unknown = row.last_error?.code === 'OUTCOME_UNKNOWN';
    if (row.status === 'sent' && n === 0) wrong.sentNotAccepted++;
    // A row still pending or sending is counted lost above; here only final ones.
    if ((row.status === 'failed' || row.status === 'cancelled') && n > 0) {
      if (unknown) inDoubtAccepted++;
      else wrong.failedButAccepted++;
    }
  }
  if (duplicates) problems.push(`${duplicates} duplicate acceptances at the provider`);
  if (wrong.sentNotAccepted) {
    problems.push(
      `${wrong.sentNotAccepted} messages sent in Salvo, never accepted by the provider`,
    );
  }
  if (wrong.failedButAccepted) {
    problems.push(
      `${wrong.failedButAccepted} messages final but not sent in Salvo (not in doubt), yet accepted by the provider`,
    );
  }
  return { duplicates, inDoubtAccepted, replays, acceptedAt, problems };
}

/** More than `rate` sends in a 1-s window of sentAt, outside the exempt second. */
function rateBreaches(rows: MessageRow[], rate: number, exemptAfter?: number): string[] {
  const times = rows.filter((r) => r.sent_at).map((r) => r.sent_at!.getTime());
  const first =
    exemptAfter === undefined
      ? undefined
      : times.filter((t) => t >= exemptAfter).sort((a, b) => a - b)[0];
  const outside =
    first === undefined ? times : times.filter((t) => t < first || t >= first + 1_000);
  const worst = maxInAnySecond(outside.map((t) => new Date(t).toISOString()));
  if (worst <= rate) return [];
  return [`${worst} sends in one second at a rate of ${rate}/s`];
}

/** From each instant to the first acceptance at or after it (ms); null when none came. */
export function recoveries(faultEnds: number[], acceptedAt: number[]): (number | null)[] {
  const sorted = [...acceptedAt].sort((a, b) => a - b);
  return faultEnds.map((end) => {
    const next = sorted.find((t) => t >= end);
    return next === undefined ? null : next - end;
  });
}

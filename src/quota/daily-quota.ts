// Daily quotas per account (UTC day), the arithmetic: limits, what is left, the day and its end,
// and how a refusal reads. No Nest, no I/O (docs/DECISIONS.md, "Daily quotas").
import { DomainError, type ErrorDetail } from '../errors/domain-error';

export const QUOTA_KINDS = ['messages', 'segments'] as const;
export type QuotaKind = (typeof QUOTA_KINDS)[number];

/** Messages and segments: used today, needed by a batch, or the limits (null: unlimited). */
export type Amounts = Record<QuotaKind, number>;
export type Limits = Record<QuotaKind, number | null>;

/** What a batch (or a retry) asks of the quota, and how a refusal names it. */
export interface QuotaNeed extends Amounts {
  /** The subject of "needs" in a refusal: "this batch", "the requeued messages". */
  what: string;
  /** The amounts are a lower bound (a batch not yet counted): "needs at least". */
  atLeast?: boolean;
}

/** The outcome of one attempt to take a quota. */
export type QuotaDecision =
  | { taken: true; used: Amounts; limits: Limits }
  | { taken: false; used: Amounts; limits: Limits; exceeded: QuotaKind[]; now: Date };

/**
 * The limit that applies to an account: its own (set by the operator) or else the deployment's;
 * 0 in either place means unlimited, shown as null.
 */
export function effectiveLimit(own: number | null, deployment: number): number | null {
  const limit = own ?? deployment;
  return limit === 0 ? null : limit;
}

export function effectiveLimits(
  own: { dailyMessageQuota: number | null; dailySegmentQuota: number | null },
  deployment: { dailyMessages: number; dailySegments: number },
): Limits {
  return {
    messages: effectiveLimit(own.dailyMessageQuota, deployment.dailyMessages),
    segments: effectiveLimit(own.dailySegmentQuota, deployment.dailySegments),
  };
}

/** The UTC day of `now`, as PostgreSQL's date and the API show it: YYYY-MM-DD. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** The next UTC midnight after `now`, when every account's usage starts again from 0. */
export function nextUtcMidnight(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** Retry-After for a refusal: whole seconds until the next UTC midnight, at least 1. */
export function secondsToMidnight(now: Date): number {
  return Math.max(1, Math.ceil((nextUtcMidnight(now).getTime() - now.getTime()) / 1000));
}

/** What is left of a limit after `used` (never negative: a lowered limit may be below usage). */
export function left(used: number, limit: number): number {
  return Math.max(0, limit - used);
}

/** The quotas `need` would pass, given today's usage; empty when it fits (or nothing is limited). */
export function exceeded(used: Amounts, need: Amounts, limits: Limits): QuotaKind[] {
  return QUOTA_KINDS.filter((kind) => {
    const limit = limits[kind];
    return limit !== null && used[kind] + need[kind] > limit;
  });
}

/** One detail per limited quota, those that refused first: what is left, what was needed. */
export function quotaDetails(used: Amounts, need: QuotaNeed, limits: Limits): ErrorDetail[] {
  const over = exceeded(used, need, limits);
  const kinds = [...over, ...QUOTA_KINDS.filter((kind) => !over.includes(kind))];
  return kinds.flatMap((kind) => {
    const limit = limits[kind];
    if (limit === null) return [];
    const verb = need.what.startsWith('this ') ? 'needs' : 'need';
    return [
      {
        path: kind,
        message: `${left(used[kind], limit)} of ${limit} left today; ${need.what} ${verb} ${need.atLeast ? 'at least ' : ''}${need[kind]}`,
      },
    ];
  });
}

const NAMES: Record<QuotaKind, string> = {
  messages: 'daily message quota',
  segments: 'daily segment quota',
};

function named(kinds: readonly QuotaKind[]): string {
  return kinds.map((kind) => NAMES[kind]).join(' and the ');
}

/** The 429 of a start, resume, retry or auto-starting creation that the quota refused. */
export class QuotaExceeded extends DomainError {
  constructor(refusal: Extract<QuotaDecision, { taken: false }>, need: QuotaNeed) {
    super(
      'QUOTA_EXCEEDED',
      `${capitalised(need.what)} would pass the account's ${named(refusal.exceeded)}, which resets at ${nextUtcMidnight(refusal.now).toISOString()}.`,
      quotaDetails(refusal.used, need, refusal.limits),
      { retryAfterSeconds: secondsToMidnight(refusal.now) },
    );
  }
}

/** The pause_reason of a scheduled batch the quota kept from starting. */
export function quotaPauseReason(
  refusal: Extract<QuotaDecision, { taken: false }>,
  need: QuotaNeed,
): string {
  const details = quotaDetails(refusal.used, need, refusal.limits)
    .filter((detail) => refusal.exceeded.includes(detail.path as QuotaKind))
    .map((detail) => detail.message)
    .join('; ');
  return (
    `Paused by the ${named(refusal.exceeded)} at its scheduled start (${details}). ` +
    `The quota resets at ${nextUtcMidnight(refusal.now).toISOString()}; resume the batch then, or once the quota is raised.`
  );
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers-10, in their
// structured-field form (RFC 8941 lists of strings with parameters), and Retry-After.

/** The throttles a response may name; each is a quota policy of the draft. */
export type PolicyName = 'requests' | 'batches' | 'auth-failures' | 'webhook-signature-failures';

/** A quota policy: `quota` units per window of `windowSeconds`. */
export interface QuotaPolicy {
  name: PolicyName;
  quota: number;
  windowSeconds: number;
}

/** What is left of a policy's quota, and when its window starts again. */
export interface ServiceLimit {
  name: PolicyName;
  remaining: number;
  resetSeconds: number;
}

/** Whole seconds until `ms` have passed, rounded up: a client waiting this long is never early. */
export function wholeSeconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/** Retry-After of a refusal: at least 1, since 0 would invite the same request at once. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, wholeSeconds(ms));
}

/** `"requests";q=1200;w=60, "batches";q=60;w=60`; undefined when no policy applies. */
export function policyField(policies: readonly QuotaPolicy[]): string | undefined {
  if (!policies.length) return undefined;
  return policies.map((p) => `"${p.name}";q=${p.quota};w=${p.windowSeconds}`).join(', ');
}

/** `"requests";r=1187;t=42`; undefined when nothing is known. */
export function rateLimitField(limits: readonly ServiceLimit[]): string | undefined {
  if (!limits.length) return undefined;
  return limits
    .map((l) => `"${l.name}";r=${Math.max(0, l.remaining)};t=${Math.max(0, l.resetSeconds)}`)
    .join(', ');
}

/** The header fields an answer carries for these policies and limits (and a refusal's wait). */
export function rateLimitHeaders(
  policies: readonly QuotaPolicy[],
  limits: readonly ServiceLimit[],
  retryAfter?: number,
): Record<string, string> {
  const headers: Record<string, string> = {};
  const policy = policyField(policies);
  const limit = rateLimitField(limits);
  if (policy !== undefined) headers['RateLimit-Policy'] = policy;
  if (limit !== undefined) headers['RateLimit'] = limit;
  if (retryAfter !== undefined) headers['Retry-After'] = String(retryAfter);
  return headers;
}

// Calls a provider with Salvo's own timeout and Salvo's rule for calls whose outcome is unknown.
// The codes here are Salvo's, not a provider's: TIMEOUT, PROVIDER_UNREACHABLE, and OUTCOME_UNKNOWN
// (errors/error-taxonomy.ts).
import { CATEGORY_POLICIES, isRetried, OUTCOME_UNKNOWN } from '../errors/error-taxonomy';
import {
  RESENT,
  type ResolveContext,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from './sms-provider';

export const TIMEOUT_CODE = 'TIMEOUT';
export const UNREACHABLE_CODE = 'PROVIDER_UNREACHABLE';

/** The answer of an adapter that cannot tell whether the provider sent the message. */
export function outcomeUnknown(message: string): SendResult {
  return { accepted: false, category: 'unknown', code: OUTCOME_UNKNOWN, message };
}

/** The answer of a resolution not made because the claim's lease may have run out. */
export const CLAIM_LAPSED =
  "The message's claim may have run out before its outcome was resolved; the next claim resolves it.";

/**
 * Whether the call reached the provider, so the message log may name it: everything but the
 * adapter's own refusal (`local`), unless parts of the message had gone to the provider before it.
 */
export function reachedProvider(result: SendResult): boolean {
  return result.accepted || !result.local || !!result.parts?.accepted.length;
}

/**
 * `call`, answered within `timeoutMs`: no answer is a TIMEOUT, a throw PROVIDER_UNREACHABLE. The
 * call's signal is aborted when the timeout fires, so the adapter can drop its request.
 */
async function withTimeout(
  call: (signal: AbortSignal) => Promise<SendResult>,
  timeoutMs: number,
): Promise<SendResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<SendResult>((resolve) => {
    timer = setTimeout(() => {
      resolve({
        accepted: false,
        category: 'timeout',
        code: TIMEOUT_CODE,
        message: `The provider did not answer within ${timeoutMs} ms.`,
      });
      controller.abort();
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      call(controller.signal).catch((error: unknown): SendResult => ({
        accepted: false,
        category: 'provider_error',
        code: UNREACHABLE_CODE,
        message: error instanceof Error ? error.message : String(error),
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function sendWithTimeout(
  provider: SmsProvider,
  request: SendRequest,
  timeoutMs: number,
): Promise<SendResult> {
  return withTimeout((signal) => provider.send(request, { signal }), timeoutMs);
}

/** How long Salvo waits for the adapter's `resolve` (sms-provider.ts). */
export function resolveTimeoutMs(
  provider: Pick<SmsProvider, 'resolveTimeoutMs'>,
  timeoutMs: number,
): number {
  return provider.resolveTimeoutMs?.(timeoutMs) ?? timeoutMs;
}

/**
 * Whether the provider may have sent the message although Salvo heard no acceptance: a timeout
 * (Salvo's, or one the adapter reports as `timeout`) or an adapter that threw. Any other rejection
 * from `send` means the provider did not send it (the port's contract, sms-provider.ts).
 */
function isUnknownOutcome(result: SendResult): result is Extract<SendResult, { accepted: false }> {
  return !result.accepted && (result.category === 'timeout' || result.code === UNREACHABLE_CODE);
}

/** A final answer about the message itself (invalid number, opted out, content, OUTCOME_UNKNOWN). */
function settles(result: Extract<SendResult, { accepted: false }>): boolean {
  return !isRetried(result) && !CATEGORY_POLICIES[result.category].failsBatch;
}

/**
 * One provider call for a claimed message. A provider that honours idempotency keys is simply
 * sent to: a repeat after a timeout, or after a worker died during its call (`reclaimed`), cannot
 * send a second SMS. Any other goes to the adapter's `resolve` instead of a second send, and a
 * resolution that itself gets no answer is OUTCOME_UNKNOWN (docs/DECISIONS.md, "Providers as
 * plug-ins and unknown outcomes"). `lookups` tells a lookup which provider message ids other
 * messages hold and reserves the one it adopts, and `held` whether the claim is surely still this
 * worker's (sms-provider.ts, ResolveContext).
 */
export async function callProvider(
  provider: SmsProvider,
  request: SendRequest,
  {
    timeoutMs,
    reclaimed,
    lookups,
  }: {
    timeoutMs: number;
    reclaimed: boolean;
    lookups: Pick<ResolveContext, 'taken' | 'adopt' | 'held'>;
  },
): Promise<SendResult> {
  if (provider.idempotent) return sendWithTimeout(provider, request, timeoutMs);
  let inDoubt = request;
  if (!reclaimed) {
    const result = await sendWithTimeout(provider, request, timeoutMs);
    if (!isUnknownOutcome(result)) return result;
    // The parts this call had sent before its outcome became unknown are not sent again.
    if (result.parts) inDoubt = { ...request, parts: result.parts };
    // The send outlasted the claim's lease: another worker may be resolving it already, and two
    // resolutions could both resend. The next claim resolves it.
    if (!(await lookups.held())) return outcomeUnknown(CLAIM_LAPSED);
  }
  const resolved = await withTimeout(
    (signal) => provider.resolve(inDoubt, { signal, ...lookups }),
    resolveTimeoutMs(provider, timeoutMs),
  );
  const resolution = resolved.resolution ? { resolution: resolved.resolution } : {};
  if (resolved.resolution?.outcome === RESENT) {
    // The provider proved nothing went out, and the message was sent: a send's answer, whose
    // rejection means not sent. Only its own unknown outcome stays a doubt.
    if (!isUnknownOutcome(resolved)) return resolved;
  } else if (resolved.accepted || settles(resolved)) {
    // Only an acceptance or a refusal of this very message settles the doubt. A resolution that
    // would be retried (no answer, a throttled or failed lookup) leaves the message as unknown as
    // before, and a refused lookup (auth) says nothing about it: either would let a retry send.
    return resolved;
  }
  return {
    ...outcomeUnknown(
      `Whether the provider sent the message is unknown (${resolved.code}: ${resolved.message}); it is not sent again.`,
    ),
    ...resolution,
  };
}

// Which provider a message's next call goes to (issue 16; README, "Several providers"). Pure: the
// breakers' states come in, a choice goes out; dispatch asks the breakers and the limiter.
//
// The duplicate rule: a message moves to another provider only after an answer proving the one it
// was sent to did not take it. So a message is pinned to its provider while an earlier call there
// may have been accepted (mayMove below), and a claim whose worker died is resolved where that
// worker called. Everything else goes to the first provider of its route whose breaker is not open:
// closed, or half-open (as its one probe: a provider whose probe is out counts as open), else waits.
import { UNREACHABLE_CODE } from '../provider-call';
import type { SendResult } from '../sms-provider';
import type { BreakerState } from './circuit-breakers';
import { parseRouteKey, routeFor, type RouteTable } from '../../config/routes';

/** A message as dispatch sees it before its claim. */
export interface RoutedMessage<P extends string> {
  phoneNumber: string;
  /** Its stored route (routes.ts, routeKey); null for messages from before routes. */
  route: string | null;
  /** Set while its next call must go there (an earlier call may have been accepted). */
  pinned: P | null;
  /** Claimed by a worker whose lease ran out: `claimProvider` is where that worker called. */
  reclaimed: boolean;
  claimProvider: P | null;
}

export type ProviderChoice<P extends string> =
  { kind: 'send'; provider: P; probe: boolean } | { kind: 'wait'; providers: readonly P[] };

/**
 * The providers of a message's route that are in use, in order. A stored route whose providers
 * are all gone from the configuration falls back to the route its number has now.
 */
export function routeProviders<P extends string>(
  message: Pick<RoutedMessage<P>, 'route' | 'phoneNumber'>,
  table: RouteTable<P>,
  inUse: readonly P[],
): readonly P[] {
  if (message.route !== null) {
    const stored = parseRouteKey(message.route).filter((name): name is P =>
      inUse.includes(name as P),
    );
    if (stored.length) return stored;
  }
  return routeFor(table, message.phoneNumber).providers;
}

/**
 * Where the message goes now. `fallback`: where a claim from before routes called (its
 * claimProvider was not recorded then), SMS_PROVIDER.
 */
export function chooseProvider<P extends string>(
  message: RoutedMessage<P>,
  providers: readonly P[],
  breakers: ReadonlyMap<P, BreakerState>,
  fallback: P,
): ProviderChoice<P> {
  const fixed = message.reclaimed ? (message.claimProvider ?? fallback) : message.pinned;
  const state = (name: P) => breakers.get(name) ?? 'closed';
  if (fixed !== null) {
    return state(fixed) === 'open'
      ? { kind: 'wait', providers: [fixed] }
      : { kind: 'send', provider: fixed, probe: state(fixed) === 'half-open' };
  }
  // In the route's order: a half-open provider before a closed one gets its probe, so traffic comes
  // back to it once it recovers.
  const next = providers.find((name) => state(name) !== 'open');
  if (next === undefined) return { kind: 'wait', providers };
  return { kind: 'send', provider: next, probe: state(next) === 'half-open' };
}

/**
 * Whether an answer proves the provider did not take the message, so its next call may go to
 * another provider: any refusal, but not a timeout or an unknown outcome (it may have been sent),
 * an adapter that threw (the same), a refusal after some parts of a long message were accepted
 * (the rest must join them, with the same reference, at the same provider), or the answer of a
 * resolution other than a lookup. A pin, once set, stays until the message is accepted: a later
 * refusal says nothing about the earlier call in doubt (dispatch keeps it).
 */
const LOOKUP = 'lookup';
export function mayMove(result: SendResult): boolean {
  if (result.accepted) return false;
  if (result.parts?.accepted.length) return false;
  // An answer `resolve` gave: only a lookup that found nothing proves the first call left nothing
  // behind (SMPP's blind resend proves nothing about the call in doubt).
  if (result.resolution && result.resolution.method !== LOOKUP) return false;
  if (result.category === 'timeout' || result.category === 'unknown') return false;
  return result.code !== UNREACHABLE_CODE;
}

/**
 * The providers a batch waits for: those of its routes whose every provider's breaker is not
 * closed (a half-open one lets a single probe through), each named once. `routes` are the batch's
 * stored route keys; a batch from before routes is taken to use the `*` route.
 */
export function providersDown<P extends string>(
  routes: readonly string[],
  table: RouteTable<P>,
  inUse: readonly P[],
  breakers: ReadonlyMap<P, BreakerState>,
): P[] {
  const keys = routes.length ? routes : [table.fallback.key];
  const down = new Set<P>();
  for (const key of keys) {
    const providers = routeProviders({ route: key, phoneNumber: '' }, table, inUse);
    if (providers.every((name) => (breakers.get(name) ?? 'closed') !== 'closed')) {
      providers.forEach((name) => down.add(name));
    }
  }
  return [...down];
}

// Destination routes (SMS_ROUTES): which providers serve a number, chosen by its longest matching
// prefix and stored with the message at ingest.

/** One route as written: `+44=smpp,twilio` is prefix `+44` with providers `smpp` then `twilio`. */
export interface Route<P extends string = string> {
  /** `+` and 1 to 15 digits, or `*` for every number no other prefix matches. */
  readonly prefix: string;
  /** In the order they are tried; never empty, no name twice. */
  readonly providers: readonly P[];
  /** routeKey(providers): what a message routed here stores. */
  readonly key: string;
}

export interface RouteTable<P extends string = string> {
  /** The routes in the order they were written, `*` included. */
  readonly routes: readonly Route<P>[];
  /** The `*` route. Every table has one, so every number has a route. */
  readonly fallback: Route<P>;
  /** For routeFor: the prefixes' digits as a tree, one level per digit after the `+`. */
  readonly prefixes: PrefixNode<P>;
}

/** A route before its key is derived. */
type WrittenRoute<P extends string> = Pick<Route<P>, 'prefix' | 'providers'>;

interface PrefixNode<P extends string> {
  /** Indexed by digit. */
  readonly next: (PrefixNode<P> | undefined)[];
  /** The route whose prefix ends at this digit, if any. */
  route?: Route<P>;
}

export const FALLBACK_PREFIX = '*';

// E.164 country codes start with 1 to 9, so a prefix starting with 0 would never match a number.
const PREFIX = /^\+[1-9]\d{0,14}$/;

/**
 * Parses SMS_ROUTES, e.g. `+44=smpp,twilio;+1=twilio,smpp;*=twilio`, refusing anything ambiguous
 * with an Error naming the problem. `known` are the configured providers.
 *
 * A `*` route is required. Without it a number outside every prefix would only be refused at
 * ingest, request after request, for a mistake in the configuration that boot can name once.
 */
export function parseRoutes<P extends string>(value: string, known: readonly P[]): RouteTable<P> {
  const entries = value.split(';');
  const routes: WrittenRoute<P>[] = [];
  const prefixes = new Set<string>();
  entries.forEach((entry, index) => {
    const route = parseEntry(entry, `entry ${index + 1} of ${entries.length}`, known);
    if (prefixes.has(route.prefix)) throw new Error(`gives prefix ${route.prefix} twice`);
    prefixes.add(route.prefix);
    routes.push(route);
  });
  return tableOf(routes);
}

/** The table when SMS_ROUTES is not set: SMS_PROVIDER serves every destination. */
export function singleRoute<P extends string>(provider: P): RouteTable<P> {
  return tableOf([{ prefix: FALLBACK_PREFIX, providers: Object.freeze([provider]) }]);
}

/**
 * The route of the longest prefix of `e164` that has one, else the `*` route. Runs once per
 * recipient at ingest, so it walks the number's digits through the prefix tree without allocating.
 */
export function routeFor<P extends string>(table: RouteTable<P>, e164: string): Route<P> {
  let longest = table.fallback;
  let node: PrefixNode<P> | undefined = table.prefixes;
  // Position 0 holds the `+`.
  for (let position = 1; node !== undefined && position < e164.length; position++) {
    node = node.next[digitAt(e164, position)];
    if (node?.route) longest = node.route;
  }
  return longest;
}

const KEY_SEPARATOR = ',';

/**
 * What is stored with a message for its route: the providers joined by commas (`smpp,twilio`),
 * which parseRouteKey turns back into the same list.
 */
export function routeKey(providers: readonly string[]): string {
  if (providers.length === 0) throw new Error('a route has at least one provider');
  const unstorable = providers.find((name) => name === '' || name.includes(KEY_SEPARATOR));
  if (unstorable !== undefined) {
    throw new Error(`provider name "${unstorable}" cannot be stored in a route key`);
  }
  return providers.join(KEY_SEPARATOR);
}

/** The providers of a key written by routeKey, in their order. */
export function parseRouteKey(key: string): string[] {
  if (key === '') throw new Error('a route key names at least one provider');
  return key.split(KEY_SEPARATOR);
}

function parseEntry<P extends string>(
  entry: string,
  entryName: string,
  known: readonly P[],
): WrittenRoute<P> {
  const text = entry.trim();
  if (text === '') throw new Error(`${entryName} is empty`);
  const equals = text.indexOf('=');
  if (equals < 0 || equals !== text.lastIndexOf('=')) {
    throw new Error(`entry "${text}" must be PREFIX=PROVIDER[,PROVIDER...] with one "="`);
  }
  const prefix = text.slice(0, equals).trim();
  if (prefix !== FALLBACK_PREFIX && !PREFIX.test(prefix)) {
    throw new Error(
      `entry "${text}" has a bad prefix "${prefix}": it must be "+" then 1 to 15 digits ` +
        `not starting with 0, or "*"`,
    );
  }
  return { prefix, providers: parseProviders(text.slice(equals + 1), prefix, known) };
}

function parseProviders<P extends string>(
  list: string,
  prefix: string,
  known: readonly P[],
): readonly P[] {
  const names = list.split(',').map((name) => name.trim());
  if (names.every((name) => name === '')) throw new Error(`route ${prefix} names no provider`);
  const providers: P[] = [];
  for (const name of names) {
    if (name === '') {
      throw new Error(`route ${prefix} has an empty provider name in "${list.trim()}"`);
    }
    const provider = known.find((candidate) => candidate === name);
    if (provider === undefined) {
      throw new Error(
        `route ${prefix} names "${name}", which is not configured ` +
          `(configured: ${known.join(', ') || 'none'})`,
      );
    }
    if (providers.includes(provider)) throw new Error(`route ${prefix} names "${name}" twice`);
    providers.push(provider);
  }
  return Object.freeze(providers);
}

function tableOf<P extends string>(written: readonly WrittenRoute<P>[]): RouteTable<P> {
  const routes = written.map((route) =>
    Object.freeze({ ...route, key: routeKey(route.providers) }),
  );
  const fallback = routes.find((route) => route.prefix === FALLBACK_PREFIX);
  if (!fallback) {
    const prefixes = routes.map((route) => route.prefix).join(', ');
    throw new Error(
      `has no "*" route: a number matching none of ${prefixes} would have no provider; ` +
        `add one, e.g. *=${routes[0]?.providers[0] ?? 'PROVIDER'}`,
    );
  }
  return { routes, fallback, prefixes: prefixTree(routes) };
}

function prefixTree<P extends string>(routes: readonly Route<P>[]): PrefixNode<P> {
  const root = prefixNode<P>();
  for (const route of routes) {
    if (route.prefix === FALLBACK_PREFIX) continue;
    let node = root;
    for (let position = 1; position < route.prefix.length; position++) {
      node = node.next[digitAt(route.prefix, position)] ??= prefixNode<P>();
    }
    node.route = route;
  }
  return root;
}

const prefixNode = <P extends string>(): PrefixNode<P> => ({
  next: new Array<PrefixNode<P> | undefined>(10).fill(undefined),
});

const CODE_OF_ZERO = '0'.charCodeAt(0);

// A character that is not a digit gives an index outside 0-9, where no node is.
const digitAt = (text: string, position: number): number =>
  text.charCodeAt(position) - CODE_OF_ZERO;

// The time zones a phone number may be in, from its country code and leading digits (Google
// libphonenumber's prefix table, generated into phone-time-zones.data.ts).
import { PREFIX_ZONES, ZONE_SETS } from './phone-time-zones.data';

/**
 * A message's zone key: the IANA zones its number may be in, sorted and joined with `|`. With
 * several, the message's window is the intersection of its window in each (send-window.ts).
 */
export type ZoneKey = string;

/** A number no prefix places (non-geographic +800, +882, ...): its window is read in UTC. */
export const UNKNOWN_ZONE = 'UTC';

interface Table {
  zones: Map<string, ZoneKey>;
  /** Per country code (the shortest prefix of the table), the longest prefix under it. */
  longest: Map<string, number>;
}

let table: Table | undefined;

function load(): Table {
  const zones = new Map<string, ZoneKey>();
  for (const entry of PREFIX_ZONES.split(',')) {
    const [prefix, index] = entry.split(':');
    zones.set(prefix, ZONE_SETS[Number(index)]);
  }
  const longest = new Map<string, number>();
  for (const prefix of zones.keys()) {
    const code = countryCodeIn(zones, prefix);
    longest.set(code, Math.max(longest.get(code) ?? 0, prefix.length));
  }
  return { zones, longest };
}

/** The table's country-code entry a prefix starts with: country codes are 1 to 3 digits. */
function countryCodeIn(zones: ReadonlyMap<string, ZoneKey>, digits: string): string {
  for (let length = 1; length <= 3; length++) {
    if (zones.has(digits.slice(0, length))) return digits.slice(0, length);
  }
  return digits.slice(0, 3);
}

/**
 * The zone key of an E.164 number: the zones of the longest prefix of the table it starts with.
 * A country with one zone costs one lookup; only countries whose table goes deeper (the NANP,
 * Russia, Brazil, ...) look at more digits.
 */
export function timeZonesOf(e164: string): ZoneKey {
  table ??= load();
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  const code = countryCodeIn(table.zones, digits);
  const longest = table.longest.get(code);
  if (longest === undefined) return UNKNOWN_ZONE;
  for (let length = Math.min(longest, digits.length); length >= code.length; length--) {
    const zones = table.zones.get(digits.slice(0, length));
    if (zones !== undefined) return zones;
  }
  return UNKNOWN_ZONE;
}

// Send windows (options.sendWindow): when a window is open in a time zone or a set of them.
// Pure: no Nest, no I/O; the clock is always a parameter. DST-correct through Intl.
import { minutesOf, WEEKDAYS, type SendWindow } from '../../config/send-window';
import type { ZoneKey } from '../../phone/phone-time-zones';

export type { ZoneKey };

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

/** Openings are looked for this many days ahead: a week and the day a DST change may shift. */
const LOOKAHEAD_DAYS = 8;
const DAY_MS = 86_400_000;

/** A window in the form the arithmetic uses. */
interface Compiled {
  start: number;
  end: number;
  /** Bit d set: the window opens on weekday d (0 Sunday). */
  days: number;
}

const compiledWindows = new WeakMap<SendWindow, Compiled>();

function compile(window: SendWindow): Compiled {
  let compiled = compiledWindows.get(window);
  if (!compiled) {
    compiled = {
      start: minutesOf(window.start, false)!,
      end: minutesOf(window.end, true)!,
      days: window.days.reduce((bits, day) => bits | (1 << WEEKDAYS.indexOf(day)), 0),
    };
    compiledWindows.set(window, compiled);
  }
  return compiled;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  /** Minutes since local midnight. */
  minutes: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const SHORT_WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(zone, format);
  }
  return format;
}

function localTime(zone: string, ms: number): LocalTime & { second: number } {
  const parts: Record<string, string> = {};
  for (const { type, value } of formatter(zone).formatToParts(ms)) parts[type] = value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    second: Number(parts.second),
    weekday: SHORT_WEEKDAYS.indexOf(parts.weekday),
  };
}

/** The zone's offset from UTC at `ms`, in ms. */
function offsetMs(zone: string, ms: number): number {
  const t = localTime(zone, ms);
  const wall = Date.UTC(t.year, t.month - 1, t.day, 0, t.minutes, t.second);
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of local `minutes` on the local date (year, month, day) in `zone`. A time a DST
 * change skips comes out shifted by the change (02:30 on a spring-forward day is 03:30).
 */
function instantOf(zone: string, year: number, month: number, day: number, minutes: number) {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  const first = wall - offsetMs(zone, wall);
  const second = wall - offsetMs(zone, first);
  if (second === first || localTime(zone, second).minutes === minutes % 1440) return second;
  // In the gap a change skips: the later reading lands just after it.
  return Math.max(first, second);
}

function opensOn(window: Compiled, weekday: number): boolean {
  return (window.days & (1 << ((weekday + 7) % 7))) !== 0;
}

/** Whether the window is open at `ms` in one zone. */
function openInZone(window: Compiled, zone: string, ms: number): boolean {
  const { minutes, weekday } = localTime(zone, ms);
  if (window.start < window.end) {
    return opensOn(window, weekday) && minutes >= window.start && minutes < window.end;
  }
  // Over midnight: the evening of a day it opens, or the morning after one.
  return (
    (opensOn(window, weekday) && minutes >= window.start) ||
    (opensOn(window, weekday - 1) && minutes < window.end)
  );
}

/** The window's openings in one zone from the local day of `ms` on, LOOKAHEAD_DAYS of them. */
function openingsInZone(window: Compiled, zone: string, ms: number): number[] {
  const today = localTime(zone, ms);
  const openings: number[] = [];
  for (let k = -1; k <= LOOKAHEAD_DAYS; k++) {
    if (!opensOn(window, today.weekday + k)) continue;
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day) + k * DAY_MS);
    openings.push(
      instantOf(
        zone,
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        window.start,
      ),
    );
  }
  return openings;
}

/** Where the window closes in one zone, when it is open there at `ms`. */
function closingInZone(window: Compiled, zone: string, ms: number): number {
  const now = localTime(zone, ms);
  // The window closes at `end` today, or tomorrow when it opened this evening and runs over midnight.
  const tomorrow = window.start > window.end && now.minutes >= window.start ? 1 : 0;
  const date = new Date(Date.UTC(now.year, now.month - 1, now.day) + tomorrow * DAY_MS);
  return instantOf(
    zone,
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    window.end,
  );
}

export function zonesOf(key: ZoneKey): string[] {
  return key.split('|');
}

/** Whether a message of zone key `key` may be sent at `ms`: its window is open in every zone. */
export function isOpen(window: SendWindow, key: ZoneKey, ms: number): boolean {
  const compiled = compile(window);
  return zonesOf(key).every((zone) => openInZone(compiled, zone, ms));
}

/**
 * The first moment at or after `ms` at which the window is open in every zone of `key`, or null
 * when it never is (the zones' windows do not overlap within a week).
 */
export function nextOpening(window: SendWindow, key: ZoneKey, ms: number): number | null {
  const compiled = compile(window);
  const zones = zonesOf(key);
  const openEverywhere = (at: number) => zones.every((zone) => openInZone(compiled, zone, at));
  if (openEverywhere(ms)) return ms;
  // An intersection of windows opens when the last of them opens: at one zone's opening.
  const candidates = zones
    .flatMap((zone) => openingsInZone(compiled, zone, ms))
    .filter((at) => at > ms)
    .sort((a, b) => a - b);
  return candidates.find(openEverywhere) ?? null;
}

/** When the window open at `ms` closes (the first of its zones to close). */
export function nextClosing(window: SendWindow, key: ZoneKey, ms: number): number {
  const compiled = compile(window);
  return Math.min(...zonesOf(key).map((zone) => closingInZone(compiled, zone, ms)));
}

/**
 * The zone whose window opens latest: the one furthest west at `ms` (smallest UTC offset), whose
 * `start` comes last on any calendar day; ties by name. Where a number's zones' windows never
 * overlap, it goes in this zone's window, so nobody is texted before the window opens.
 */
export function latestOpeningZone(key: ZoneKey, ms: number): string {
  return zonesOf(key)
    .map((zone) => ({ zone, offset: offsetMs(zone, ms) }))
    .sort((a, b) => a.offset - b.offset || a.zone.localeCompare(b.zone))[0].zone;
}

/**
 * The zone key a message is stored with: `key` itself, or, when its zones' windows never overlap,
 * the zone whose window opens latest (`disjoint`, for the batch's warning).
 */
export function effectiveZoneKey(
  window: SendWindow,
  key: ZoneKey,
  ms: number,
): { key: ZoneKey; disjoint: boolean } {
  if (!key.includes('|') || nextOpening(window, key, ms) !== null) return { key, disjoint: false };
  return { key: latestOpeningZone(key, ms), disjoint: true };
}

/** Where a batch's zones stand at a moment: which are open, when the closed ones open. */
export interface WindowState {
  open: ZoneKey[];
  /** Closed zone keys and when each opens next (Infinity: never within a week). */
  closed: Map<ZoneKey, number>;
  /** The first moment this state may change: a zone opens or closes. */
  changesAt: number;
}

export function windowState(window: SendWindow, keys: readonly ZoneKey[], ms: number): WindowState {
  const state: WindowState = { open: [], closed: new Map(), changesAt: Infinity };
  for (const key of keys) {
    if (isOpen(window, key, ms)) {
      state.open.push(key);
      state.changesAt = Math.min(state.changesAt, nextClosing(window, key, ms));
    } else {
      const opens = nextOpening(window, key, ms) ?? Infinity;
      state.closed.set(key, opens);
      state.changesAt = Math.min(state.changesAt, opens);
    }
  }
  return state;
}

/**
 * When a message's MESSAGE_VALIDITY_SECONDS run out. Its validity counts only while its window is
 * open, from the first opening at or after the batch's `validFrom`: a message held while the window
 * is closed (overnight, a weekend) does not age, whether the batch started inside the window or
 * before it opened. Its window never opening again ends it at the last closing. The first week is
 * walked opening by opening; whole weeks after it are counted at once (each as open as the first,
 * so the result may be off by the hour of a DST change for validities longer than a week).
 */
export function validUntil(
  window: SendWindow,
  key: ZoneKey,
  validFromMs: number,
  validityMs: number,
): number {
  const first = nextOpening(window, key, validFromMs);
  if (first === null) return validFromMs + validityMs;
  let at = first;
  let left = validityMs;
  let firstWeekOpen = 0;
  let jumped = false;
  for (let turn = 0; turn < 64; turn++) {
    const closes = nextClosing(window, key, at);
    if (!(closes > at) || closes - at >= left) return at + left;
    left -= closes - at;
    if (!jumped) firstWeekOpen += closes - at;
    let opens = nextOpening(window, key, closes);
    if (opens === null || opens <= at) return closes;
    if (!jumped && opens >= first + WEEK_MS) {
      jumped = true;
      // Whole weeks that end before the validity does, the last one walked.
      const weeks = Math.floor((left - 1) / firstWeekOpen);
      if (weeks > 0) {
        left -= weeks * firstWeekOpen;
        // Two hours early, so the opening is found even where a DST change moved it.
        opens = nextOpening(window, key, opens + weeks * WEEK_MS - 2 * HOUR_MS) ?? opens;
      }
    }
    at = opens;
  }
  return at + left;
}

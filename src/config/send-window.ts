// The syntax of a send window (options.sendWindow, DEFAULT_SEND_WINDOW): checked here, where
// configuration can use it at boot; the arithmetic is batch/windows/send-window.ts.

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** What options.sendWindow (or DEFAULT_SEND_WINDOW) says, checked and normalised. */
export interface SendWindow {
  /** `HH:MM`, local time, inclusive. */
  start: string;
  /** `HH:MM` (or `24:00`), local time, exclusive; before `start` for a window over midnight. */
  end: string;
  /** `recipient` (each number's own zones) or one IANA zone, canonical. */
  timeZone: string;
  /** The days the window opens on (a window over midnight belongs to the day it opens). */
  days: Weekday[];
}

export const RECIPIENT_TIME_ZONE = 'recipient';
/** Every day, when `days` is not given. */
const ALL_DAYS: Weekday[] = [...WEEKDAYS];
const WINDOW_FIELDS = new Set(['start', 'end', 'timeZone', 'days']);
const TIME = /^(\d{2}):(\d{2})$/;

export interface WindowProblem {
  path: string;
  message: string;
}

/** Minutes since midnight of `HH:MM`, or null; `24:00` only when `allowEndOfDay`. */
export function minutesOf(text: unknown, allowEndOfDay: boolean): number | null {
  if (typeof text !== 'string') return null;
  const match = TIME.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (allowEndOfDay && hours === 24 && minutes === 0) return 1440;
  return hours < 24 && minutes < 60 ? hours * 60 + minutes : null;
}

/** The canonical name of an IANA zone Node knows, or null. */
export function canonicalTimeZone(name: string): string | null {
  if (!name || name.length > 64) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/**
 * Checks a send window as given (options.sendWindow, DEFAULT_SEND_WINDOW): the window, or the
 * problems, each naming its field under `path`.
 */
export function parseSendWindow(
  value: unknown,
  path: string,
): { window: SendWindow } | { problems: WindowProblem[] } {
  const problems: WindowProblem[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      problems: [{ path, message: 'must be an object with start, end, timeZone and days' }],
    };
  }
  const given = value as Record<string, unknown>;
  for (const field of Object.keys(given)) {
    if (!WINDOW_FIELDS.has(field)) {
      problems.push({ path: `${path}.${field}`, message: 'is not an allowed field' });
    }
  }
  const start = minutesOf(given.start, false);
  if (start === null) {
    problems.push({ path: `${path}.start`, message: 'must be a time "HH:MM" from 00:00 to 23:59' });
  }
  const end = minutesOf(given.end, true);
  if (end === null) {
    problems.push({ path: `${path}.end`, message: 'must be a time "HH:MM" from 00:00 to 24:00' });
  } else if (start !== null && (start === end || (start === 0 && end === 1440))) {
    problems.push({
      path: `${path}.end`,
      message: 'must differ from start (a window open all day needs no sendWindow)',
    });
  }
  let timeZone = RECIPIENT_TIME_ZONE;
  if (given.timeZone !== undefined) {
    const canonical =
      typeof given.timeZone === 'string' && given.timeZone !== RECIPIENT_TIME_ZONE
        ? canonicalTimeZone(given.timeZone)
        : null;
    if (given.timeZone === RECIPIENT_TIME_ZONE) timeZone = RECIPIENT_TIME_ZONE;
    else if (canonical) timeZone = canonical;
    else {
      problems.push({
        path: `${path}.timeZone`,
        message: `must be "recipient" or an IANA time zone such as "America/New_York"`,
      });
    }
  }
  let days = [...ALL_DAYS];
  if (given.days !== undefined) {
    const list = given.days;
    if (!Array.isArray(list) || list.length === 0 || list.length > 7) {
      problems.push({
        path: `${path}.days`,
        message: `must be a list of 1 to 7 of ${WEEKDAYS.join(', ')}`,
      });
    } else {
      const bad = list.findIndex((day) => !(WEEKDAYS as readonly unknown[]).includes(day));
      if (bad >= 0) {
        problems.push({
          path: `${path}.days[${bad}]`,
          message: `must be one of ${WEEKDAYS.join(', ')}`,
        });
      } else {
        days = WEEKDAYS.filter((day) => list.includes(day));
      }
    }
  }
  if (problems.length) return { problems };
  return { window: { start: given.start as string, end: given.end as string, timeZone, days } };
}

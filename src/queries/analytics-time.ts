/** Time zones and ranges of the analytics queries. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // throws a RangeError for a zone Intl does not know
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Whether `timeZone` is an IANA zone (or UTC).
 *
 * ```ts
 * isTimeZone('Europe/Berlin'); // true
 * isTimeZone('Mars/Olympus');  // false
 * ```
 */
export function isTimeZone(timeZone: string): boolean {
  // a zone name, never an offset: PostgreSQL reads '+01:00' the POSIX way, with the sign flipped
  if (!/^[A-Za-z][\w+\-/]*$/.test(timeZone)) return false;
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * An instant as ISO 8601 local time of `timeZone`, with that zone's offset at the instant.
 *
 * ```ts
 * inTimeZone(new Date('2026-03-29T22:00:00Z'), 'Europe/Berlin'); // '2026-03-30T00:00:00+02:00'
 * ```
 */
export function inTimeZone(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(formatterOf(timeZone).formatToParts(at).map((p) => [p.type, p.value])) as Record<string, string>;
  const local = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  const offsetMinutes = Math.round((Date.parse(`${local}Z`) - Math.floor(at.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export interface TimeRange {
  from: Date;
  to: Date;
}

const HOUR_MS = 3_600_000;
export const DEFAULT_RANGE_DAYS = 30;

/**
 * The range of an analytics query: `[from, to)`, by default the last 30 days. A default end
 * is the end of the current hour: buckets are hours, so the answer, and the key it is cached
 * under, stay the same for the whole hour.
 *
 * ```ts
 * rangeOf({}, new Date('2026-05-01T10:20:00Z')); // 2026-04-01T11:00Z … 2026-05-01T11:00Z
 * ```
 */
export function rangeOf(query: { from?: string; to?: string }, now: Date): TimeRange {
  const to = query.to === undefined ? new Date(Math.floor(now.getTime() / HOUR_MS + 1) * HOUR_MS) : new Date(query.to);
  const from = query.from === undefined ? new Date(to.getTime() - DEFAULT_RANGE_DAYS * 24 * HOUR_MS) : new Date(query.from);
  return { from, to };
}

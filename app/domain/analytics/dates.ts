import { AppError } from "../../lib/errors";

export const DAY_MS = 86_400_000;
const BUCKET_MS = 900_000; // every real-world UTC offset change happens on a quarter hour
const formatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, Map<number, number>>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    } catch {
      throw new AppError("INVALID_INPUT", `Unknown time zone "${tz}"`);
    }
    formatters.set(tz, f);
  }
  return f;
}

/** Throws AppError("INVALID_INPUT") for an unknown IANA zone. */
export function assertTimeZone(tz: string): void {
  formatter(tz);
}

// Per zone and UTC day: the offset when it holds for the whole day, NaN on a day the offset changes.
const dayOffsetCache = new Map<string, Map<number, number>>();

/**
 * The zone's UTC offset at `ms`. A zone changes its offset on a few days a year, so the offset of
 * a UTC day's first quarter hour also holds for its last unless the day has a change: then (and
 * only then) each quarter hour is asked for. Five million orders over three years cost about a
 * thousand days' lookups of the zone's rules instead of a hundred thousand quarter hours' (ADR 106).
 */
function offsetMs(tz: string, ms: number): number {
  let days = dayOffsetCache.get(tz);
  if (!days) dayOffsetCache.set(tz, (days = new Map()));
  const day = Math.floor(ms / DAY_MS);
  let whole = days.get(day);
  if (whole === undefined) {
    const first = bucketOffsetMs(tz, day * DAY_MS);
    whole = first === bucketOffsetMs(tz, (day + 1) * DAY_MS - BUCKET_MS) ? first : NaN;
    days.set(day, whole);
  }
  return Number.isNaN(whole) ? bucketOffsetMs(tz, ms) : whole;
}

/** The offset of the quarter hour holding `ms`. */
function bucketOffsetMs(tz: string, ms: number): number {
  let cache = offsetCache.get(tz);
  if (!cache) offsetCache.set(tz, (cache = new Map()));
  const bucket = Math.floor(ms / BUCKET_MS);
  let off = cache.get(bucket);
  if (off === undefined) {
    const at = bucket * BUCKET_MS;
    const p: Record<string, number> = {};
    for (const part of formatter(tz).formatToParts(at)) if (part.type !== "literal") p[part.type] = Number(part.value);
    off = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - at;
    cache.set(bucket, off);
  }
  return off;
}

/** Day number (days since 1970-01-01) of the calendar date of an instant in a time zone. */
export function localDay(instant: Date | string | number, timeZone: string): number {
  if (typeof instant === "string" && /^\d{4}-\d{2}-\d{2}$/.test(instant)) return dayFromIso(instant);
  const ms = instant instanceof Date ? instant.getTime() : typeof instant === "number" ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) throw new AppError("INVALID_INPUT", `Invalid timestamp "${String(instant)}"`);
  if (timeZone === "UTC") return Math.floor(ms / DAY_MS);
  return Math.floor((ms + offsetMs(timeZone, ms)) / DAY_MS);
}

/** "YYYY-MM-DD" -> day number. */
export function dayFromIso(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new AppError("INVALID_INPUT", `Expected a date YYYY-MM-DD, got "${s}"`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  if (new Date(ms).getUTCDate() !== +m[3]) throw new AppError("INVALID_INPUT", `Invalid date "${s}"`);
  return ms / DAY_MS;
}

// Scoring a million customers formats a few thousand distinct days millions of times.
const isoCache = new Map<number, string>();

export function isoFromDay(day: number): string {
  let iso = isoCache.get(day);
  if (iso === undefined) {
    iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (isoCache.size >= 200_000) isoCache.clear();
    isoCache.set(day, iso);
  }
  return iso;
}

import { describe, expect, it } from "vitest";
import { DAY_MS, localDay } from "../../app/domain/analytics/dates";

// localDay caches a zone's offset per UTC day and asks per quarter hour only on a day the offset
// changes (ADR 106). Checked against Intl's own calendar date, instant by instant, in zones whose
// rules are awkward: half-hour DST (Lord Howe), 45-minute offsets (Chatham), a skipped date (Apia,
// 2011-12-30), DST suspended for Ramadan (Casablanca), changes at midnight (Havana).
const ZONES = ["America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia", "Africa/Casablanca", "America/Havana"];

const formats = new Map<string, Intl.DateTimeFormat>();
function intlDay(ms: number, tz: string): number {
  let f = formats.get(tz);
  if (!f) formats.set(tz, (f = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })));
  const p = f.formatToParts(ms);
  const get = (t: string) => Number(p.find((x) => x.type === t)!.value);
  return Date.UTC(get("year"), get("month") - 1, get("day")) / DAY_MS;
}

describe("localDay", () => {
  it.each(ZONES)("gives Intl's calendar date every 37 minutes from 2011 to 2013 in %s", (tz) => {
    const wrong: string[] = [];
    for (let ms = Date.UTC(2011, 0, 1); ms < Date.UTC(2013, 0, 1); ms += 37 * 60_000) {
      if (localDay(ms, tz) !== intlDay(ms, tz)) wrong.push(new Date(ms).toISOString());
    }
    expect(wrong).toEqual([]);
  });

  it("steps over the date Samoa skipped", () => {
    // 2011-12-29 23:59 local (UTC-10) was followed by 2011-12-31 00:00 (UTC+14).
    expect(localDay(Date.UTC(2011, 11, 30, 9, 59), "Pacific/Apia")).toBe(Date.UTC(2011, 11, 29) / DAY_MS);
    expect(localDay(Date.UTC(2011, 11, 30, 10, 0), "Pacific/Apia")).toBe(Date.UTC(2011, 11, 31) / DAY_MS);
  });
});

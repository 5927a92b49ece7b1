import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFormatter, DEFAULT_LOCALE, formatContext } from "../../app/lib/format";

const ROOT = path.resolve(import.meta.dirname, "../..");
const shop = formatContext({ currencyCode: "USD", ianaTimezone: "America/New_York" });

describe("app/lib/format: the shop's locale, currency and zone, never the runtime's", () => {
  const tz = process.env.TZ;
  afterEach(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it("formats numbers, money, percentages and dates for the shop", () => {
    const f = createFormatter(shop);
    expect(f.context).toEqual({ locale: "en-US", currencyCode: "USD", timeZone: "America/New_York" });
    expect(f.number(1234567)).toBe("1,234,567");
    expect(f.number(1234.5678)).toBe("1,234.568");
    expect(f.number(1234.5678, 0)).toBe("1,235");
    expect(f.fixed(12, 1)).toBe("12.0");
    expect(f.money(1234.5)).toBe("$1,234.50");
    expect(f.money(1234.5, { whole: true })).toBe("$1,235");
    expect(f.money(10, { currency: "EUR" })).toBe("€10.00");
    expect(f.percent(0.1234)).toBe("12.3%");
    expect(f.percent(0.5, 0)).toBe("50%");
    // 02:30 UTC on 4 March is still 3 March in New York.
    expect(f.date("2026-03-04T02:30:00Z")).toBe("Mar 3, 2026");
    expect(f.dateTime(new Date("2026-03-04T02:30:00Z"))).toBe("Mar 3, 2026, 9:30 PM");
    expect(f.monthYear("2026-03-01T02:30:00Z")).toBe("Feb 2026");
    expect(f.longDate("2026-03-04T02:30:00Z")).toBe("March 3, 2026");
    expect(f.dayMonth(Date.parse("2026-03-04T12:00:00Z"))).toBe("Mar 4");
    // A calendar day the server computed is that day, whatever the zone.
    expect(f.calendarDay("2026-11-23")).toBe("Nov 23");
  });

  it("gives the same text whatever the process's time zone (server in UTC, browser anywhere)", () => {
    const at = "2026-12-31T23:30:00Z";
    const render = () => {
      const f = createFormatter(formatContext({ currencyCode: "EUR", ianaTimezone: "Europe/Berlin" }, "de-DE"));
      return [f.date(at), f.dateTime(at), f.monthYear(at), f.calendarDay("2026-12-31"), f.money(1234.5), f.number(1234.5)];
    };
    process.env.TZ = "UTC";
    const utc = render();
    process.env.TZ = "Pacific/Kiritimati";
    expect(render()).toEqual(utc);
    process.env.TZ = "America/Los_Angeles";
    expect(render()).toEqual(utc);
    // Berlin is already in 2027 at 23:30 UTC on New Year's Eve.
    expect(utc[0]).toBe("1. Jan. 2027");
    expect(utc[4]).toBe("1.234,50\u00a0€"); // a no-break space before the sign
  });

  it("defaults a shop without facts to USD in UTC, and the locale is always explicit", () => {
    expect(formatContext({ currencyCode: null, ianaTimezone: undefined })).toEqual({
      locale: DEFAULT_LOCALE,
      currencyCode: "USD",
      timeZone: "UTC",
    });
    expect(DEFAULT_LOCALE).toBe("en-US");
  });

  it("refuses what is not a date instead of printing 'Invalid Date'", () => {
    const f = createFormatter(shop);
    expect(() => f.date("yesterday")).toThrow(RangeError);
    expect(() => f.calendarDay("2026-3-4")).toThrow(/not a calendar day/);
  });

  it("shows an amount in a currency Intl does not know with its code", () => {
    expect(createFormatter(shop).money(5, { currency: "XYZW" })).toBe("5.00 XYZW");
  });

  it("is the only formatter in the pages: no runtime-default or hard-coded formatting in components and page routes", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(name) && !/\.test\./.test(name)) files.push(p);
      }
    };
    walk(path.join(ROOT, "app/components"));
    for (const name of readdirSync(path.join(ROOT, "app/routes")))
      if (/^app\..*\.tsx$|^app\.tsx$/.test(name)) files.push(path.join(ROOT, "app/routes", name));
    const offenders: string[] = [];
    for (const file of files) {
      const src = readFileSync(file, "utf8");
      // Loaders and actions may read the clock; the component (from `export default function`) may not.
      const at = src.indexOf("export default function");
      const component = at < 0 ? "" : src.slice(at); // resource routes render nothing
      const lines = (text: string, re: RegExp) => text.split("\n").filter((l) => re.test(l));
      for (const l of lines(src, /toLocale(Date|Time)?String\(|new Intl\.|"en-US"/))
        offenders.push(`${path.relative(ROOT, file)}: ${l.trim()}`);
      for (const l of lines(component, /new Date\(\)|Date\.now\(\)/))
        offenders.push(`${path.relative(ROOT, file)} (render-time clock): ${l.trim()}`);
    }
    expect(offenders).toEqual([]);
  });
});

/**
 * The one place numbers, money, percentages and dates become text, on the server and in the browser.
 *
 * Every formatter takes the shop's locale, currency and time zone explicitly. Runtime defaults
 * (`toLocaleString()`, `Intl.*` without a locale or `timeZone`, `new Date()` at render time) differ
 * between the server (Node, UTC) and the merchant's browser (their locale and zone), so the HTML the
 * server renders would not match the first client render and React's hydration would fail.
 * Render-time clocks come from the loader (`now` as an ISO string), never from the component.
 */

export interface FormatContext {
  /** BCP 47 tag. Merchant pages are in English (DEFAULT_LOCALE); customer-facing texts use the shop's customer locale (lib/i18n formatLocaleOf). */
  locale: string;
  /** ISO 4217 code of the shop's currency (Shop.currencyCode). */
  currencyCode: string;
  /** IANA zone of the shop (Shop.ianaTimezone): dates are the shop's calendar dates. */
  timeZone: string;
}

export const DEFAULT_LOCALE = "en-US";

/** What loaders send: the shop's facts (as `shopFacts` reads them) plus the locale. */
export function formatContext(
  shop: { currencyCode?: string | null; ianaTimezone?: string | null },
  locale: string = DEFAULT_LOCALE,
): FormatContext {
  return { locale, currencyCode: shop.currencyCode || "USD", timeZone: shop.ianaTimezone || "UTC" };
}

type DateInput = Date | string | number;

export interface Formatter {
  readonly context: FormatContext;
  /** Grouped number with at most `maxFractionDigits` decimals (default 3, like `toLocaleString`). */
  number(n: number, maxFractionDigits?: number): string;
  /** Grouped number with exactly `digits` decimals ("1,234.5" for 1), like `toFixed` but localised. */
  fixed(n: number, digits: number): string;
  /** Money in the shop's currency (or `currency`); `whole` drops the cents. */
  money(amount: number, opts?: { currency?: string; whole?: boolean }): string;
  /** A fraction (0.123) as a percentage ("12.3%"), `digits` decimals (default 1). */
  percent(fraction: number, digits?: number): string;
  /** The shop's calendar date: "Mar 4, 2026". */
  date(d: DateInput): string;
  /** Date and time in the shop's zone: "Mar 4, 2026, 3:05 PM". */
  dateTime(d: DateInput): string;
  /** "March 4, 2026" in the shop's zone (emails, where the date stands alone in a sentence). */
  longDate(d: DateInput): string;
  /** "Wednesday, March 4, 2026 at 11:59 PM EST": a deadline a reader in another zone must not misread. */
  zonedDateTime(d: DateInput): string;
  /** "Mar 2026" in the shop's zone. */
  monthYear(d: DateInput): string;
  /** "Mar 4" in the shop's zone. */
  dayMonth(d: DateInput): string;
  /** A calendar day the server already computed ("2026-03-04", no zone to apply) as "Mar 4". */
  calendarDay(isoDate: string): string;
}

// Intl formatters are costly to build and pages format hundreds of cells: one per option set.
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) {
    f = make();
    cache.set(key, f);
  }
  return f;
}

function toDate(d: DateInput): Date {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) throw new RangeError(`format: not a date: ${String(d)}`);
  return date;
}

export function createFormatter(ctx: FormatContext): Formatter {
  const { locale, currencyCode, timeZone } = ctx;
  const num = (min: number, max: number) =>
    cached(`n|${locale}|${min}|${max}`, () => new Intl.NumberFormat(locale, { minimumFractionDigits: min, maximumFractionDigits: max }));
  const cur = (currency: string, whole: boolean) =>
    cached(`c|${locale}|${currency}|${whole}`, () => {
      try {
        return new Intl.NumberFormat(locale, {
          style: "currency",
          currency,
          ...(whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {}),
        });
      } catch {
        // Not an ISO 4217 code Intl knows: a plain number followed by the code still says what it is.
        return new Intl.NumberFormat(locale, { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2 });
      }
    });
  const dt = (name: string, opts: Intl.DateTimeFormatOptions) =>
    cached(`d|${locale}|${timeZone}|${name}`, () => new Intl.DateTimeFormat(locale, { ...opts, timeZone }));
  return {
    context: ctx,
    number: (n, max = 3) => num(0, max).format(n),
    fixed: (n, digits) => num(digits, digits).format(n),
    money(amount, opts = {}) {
      const currency = opts.currency || currencyCode;
      const f = cur(currency, !!opts.whole);
      const text = f.format(amount);
      return f.resolvedOptions().style === "currency" ? text : `${text} ${currency}`;
    },
    percent: (fraction, digits = 1) =>
      cached(
        `p|${locale}|${digits}`,
        () => new Intl.NumberFormat(locale, { style: "percent", minimumFractionDigits: digits, maximumFractionDigits: digits }),
      ).format(fraction),
    date: (d) => dt("date", { year: "numeric", month: "short", day: "numeric" }).format(toDate(d)),
    dateTime: (d) => dt("dateTime", { dateStyle: "medium", timeStyle: "short" }).format(toDate(d)),
    longDate: (d) => dt("longDate", { year: "numeric", month: "long", day: "numeric" }).format(toDate(d)),
    zonedDateTime: (d) =>
      dt("zonedDateTime", {
        weekday: "long",
        year: "numeric",
        month: "long",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        timeZoneName: "short",
      }).format(toDate(d)),
    monthYear: (d) => dt("monthYear", { month: "short", year: "numeric" }).format(toDate(d)),
    dayMonth: (d) => dt("dayMonth", { month: "short", day: "numeric" }).format(toDate(d)),
    calendarDay(isoDate) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new RangeError(`format: not a calendar day: ${isoDate}`);
      // Midnight UTC read in UTC is that same day whatever the shop's or the browser's zone.
      return cached(`cd|${locale}`, () => new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" })).format(
        new Date(`${isoDate}T00:00:00Z`),
      );
    },
  };
}

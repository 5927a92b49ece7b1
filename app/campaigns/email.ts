import { createFormatter, DEFAULT_LOCALE } from "../lib/format";

/*
 * What campaign pages and touches need about the offer's words. The emails themselves are written
 * by messaging (app/messaging/compose.ts) from the content a touch hands it: in the shop's customer
 * language, with the merchant's blocks and only the terms the code enforces (ADR 077).
 */

export interface ShopInfo {
  name: string;
  domain: string;
  currencyCode: string;
  ianaTimezone: string;
  email: string | null;
}

/** "Sunday, December 7, 2026 at 11:59 PM CET" in the shop's zone, through the one formatting module (app/lib/format.ts). */
export function formatEndsAt(endsAt: Date, timeZone: string, locale: string = DEFAULT_LOCALE): string {
  try {
    return createFormatter({ locale, currencyCode: "USD", timeZone }).zonedDateTime(endsAt);
  } catch {
    // A zone Intl does not know: the instant in UTC still says when the offer ends.
    return createFormatter({ locale, currencyCode: "USD", timeZone: "UTC" }).zonedDateTime(endsAt);
  }
}

/** The storefront link that applies the code in the cart. */
export function discountLink(shop: Pick<ShopInfo, "domain">, code: string): string {
  return `https://${shop.domain}/discount/${encodeURIComponent(code)}`;
}

import type { Sql } from "../db/sql";
import { httpStatusFor, isAppError } from "../lib/errors";
import { translate, type Locale, type MessageKey } from "../lib/i18n";
import { customerLocale, parseMessagingSettings } from "../messaging/settings";
import { loadSettingsSection } from "../shop-settings.server";

/**
 * The shop's customer locale (messaging settings: the shop's primary locale, English by default),
 * for what the app proxy answers shoppers. Read through messaging's own parser, never its table.
 */
export async function shopCustomerLocale(sql: Sql, shop: string): Promise<Locale> {
  return customerLocale(await loadSettingsSection(sql, shop, "messaging", parseMessagingSettings));
}

/** A shopper-facing answer for a failed redemption: status, the localised text and a stable code. */
export function proxyFailure(locale: Locale, e: unknown): { status: number; error: string; code: string } {
  const t = (key: MessageKey, params?: Record<string, string | number>) => translate(locale, key, params);
  if (!isAppError(e)) return { status: 500, error: t("proxy.failed"), code: "INTERNAL" };
  const d = (e.details ?? {}) as { balance?: unknown; step?: unknown };
  switch (e.code) {
    case "NOT_FOUND":
      return { status: 404, error: t("proxy.unavailable"), code: e.code };
    case "INVALID_INPUT":
      if (typeof d.balance === "number") return { status: 400, error: t("proxy.notEnough"), code: e.code };
      if (typeof d.step === "number") return { status: 400, error: t("proxy.minimum", { points: d.step }), code: e.code };
      return { status: 400, error: t("proxy.failed"), code: e.code };
    case "NETWORK":
      return { status: 503, error: t("proxy.retry"), code: e.code };
    default:
      return { status: httpStatusFor(e.code), error: t("proxy.failed"), code: e.code };
  }
}

import { AppError } from "./lib/errors";
import type { Sql } from "./db/sql";
import { parseScopes } from "./domain/history-depth";
import type { ProtectedDataAccess, ProtectedDataCache } from "./shopify/protected-data";

/**
 * Merchant settings live in `Shop.settings` (JSONB), one key per feature: `analysis`, `campaigns`,
 * `points`, `outreach`, `messaging`. Each feature parses its own section with its domain schema (defaults filled in), and
 * writes only its own key, so two pages saved at once never overwrite each other's section.
 */
export type SettingsSection = "analysis" | "campaigns" | "points" | "outreach" | "messaging";

export async function loadSettingsSection<T>(sql: Sql, shop: string, section: SettingsSection, parse: (raw: unknown) => T): Promise<T> {
  const rows = await sql.query<{ v: unknown }>(`SELECT settings -> $2 AS v FROM "Shop" WHERE domain = $1`, [shop, section]);
  return parse(rows[0]?.v ?? {});
}

/** Stores an already validated section; the shop row must exist (it is created at install). */
export async function saveSettingsSection(sql: Sql, shop: string, section: SettingsSection, value: unknown): Promise<void> {
  const rows = await sql.query(
    `UPDATE "Shop" SET settings = jsonb_set(coalesce(settings, '{}'::jsonb), ARRAY[$2::text], $3::jsonb, true), "updatedAt" = now() WHERE domain = $1 RETURNING domain`,
    [shop, section, JSON.stringify(value)],
  );
  if (!rows.length) throw new AppError("NOT_FOUND", `Unknown shop ${shop}`);
}

/** Facts every feature needs about a shop (zone for calendar days, currency for amounts). */
export async function shopFacts(
  sql: Sql,
  shop: string,
): Promise<{ name: string; currencyCode: string; ianaTimezone: string; email: string | null }> {
  const rows = await sql.query<{ name: string | null; currencyCode: string | null; ianaTimezone: string | null; email: string | null }>(
    `SELECT name, "currencyCode", "ianaTimezone", email FROM "Shop" WHERE domain = $1`,
    [shop],
  );
  const r = rows[0];
  return { name: r?.name ?? shop, currencyCode: r?.currencyCode ?? "USD", ianaTimezone: r?.ianaTimezone ?? "UTC", email: r?.email ?? null };
}

/** The scopes Shopify granted: the Shop row (kept current by app/scopes_update), else the offline session. */
export async function grantedScopes(sql: Sql, shop: string): Promise<string[] | null> {
  const row = (await sql.query<{ scopes: string | null }>(`SELECT scopes FROM "Shop" WHERE domain = $1`, [shop]))[0];
  if (row?.scopes != null) return parseScopes(row.scopes);
  const session = (
    await sql.query<{ scope: string | null }>(`SELECT scope FROM "Session" WHERE shop = $1 AND "isOnline" = false ORDER BY id LIMIT 1`, [
      shop,
    ])
  )[0];
  return parseScopes(session?.scope ?? null);
}

/** Whether the app is installed on the shop (an uninstalled shop keeps its data until shop/redact). */
export async function shopInstalled(sql: Sql, shop: string): Promise<boolean> {
  const rows = await sql.query(`SELECT 1 FROM "Shop" WHERE domain = $1 AND "uninstalledAt" IS NULL`, [shop]);
  return rows.length > 0;
}

/** The protected-data probe's cache on the Shop row (app/shopify/protected-data.ts). */
export function protectedDataCache(sql: Sql): ProtectedDataCache {
  return {
    async read(shop) {
      return (
        await sql.query<{ access: ProtectedDataAccess | null; checkedAt: Date | null }>(
          `SELECT "protectedDataAccess" AS access, "protectedDataCheckedAt" AS "checkedAt" FROM "Shop" WHERE domain = $1`,
          [shop],
        )
      )[0];
    },
    async write(shop, access, at) {
      await sql.query(`UPDATE "Shop" SET "protectedDataAccess" = $2::jsonb, "protectedDataCheckedAt" = $3 WHERE domain = $1`, [
        shop,
        JSON.stringify(access),
        at,
      ]);
    },
  };
}

import type { Sql } from "../../db/sql";

/**
 * The sync's API for customers (docs/decisions/076-table-ownership.md): the only way other
 * features read the `Customer` table, and the one write other features may make to it (email
 * marketing consent, which an unsubscribe changes at once, before Shopify confirms). Each function
 * takes the `Sql` it runs on (the caller's transaction works too). Append new functions at the end.
 */

/** A customer as the sync stores it (plain values; money as exact decimal strings). */
export interface CustomerRecord {
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  /** Shopify's marketing state, upper case (SUBSCRIBED, UNSUBSCRIBED, NOT_SUBSCRIBED, ...), or null. */
  emailConsent: string | null;
  smsConsent: string | null;
  tags: string[];
  /** Aggregates of the customer's qualifying orders, kept by the sync. */
  orderCount: number;
  totalSpent: string;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
}

const COLUMNS = `id::text AS id, email, "firstName", "lastName", phone, "emailConsent", "smsConsent", coalesce(tags, ARRAY[]::text[]) AS tags,
  "orderCount", "totalSpent"::text AS "totalSpent", "firstOrderAt", "lastOrderAt"`;

const toRecord = (r: CustomerRecord): CustomerRecord => ({
  ...r,
  orderCount: Number(r.orderCount),
  firstOrderAt: r.firstOrderAt ? new Date(r.firstOrderAt) : null,
  lastOrderAt: r.lastOrderAt ? new Date(r.lastOrderAt) : null,
});

/** The stored customers among `ids`, by id (ids the shop has no row for are absent). */
export async function customersByIds(sql: Sql, shop: string, ids: string[]): Promise<Map<string, CustomerRecord>> {
  const want = [...new Set(ids)];
  if (!want.length) return new Map();
  const rows = await sql.query<CustomerRecord>(`SELECT ${COLUMNS} FROM "Customer" WHERE shop = $1 AND id = ANY($2::bigint[])`, [
    shop,
    want,
  ]);
  return new Map(rows.map((r) => [r.id, toRecord(r)]));
}

/** One stored customer, or null. */
export async function customerById(sql: Sql, shop: string, id: string): Promise<CustomerRecord | null> {
  const r = (await sql.query<CustomerRecord>(`SELECT ${COLUMNS} FROM "Customer" WHERE shop = $1 AND id = $2::bigint`, [shop, id]))[0];
  return r ? toRecord(r) : null;
}

/** The customer's stored email address and email marketing state (the messenger's consent check). */
export async function emailContact(
  sql: Sql,
  shop: string,
  id: string,
): Promise<{ email: string | null; emailConsent: string | null } | null> {
  const r = (
    await sql.query<{ email: string | null; emailConsent: string | null }>(
      `SELECT email, "emailConsent" FROM "Customer" WHERE shop = $1 AND id = $2::bigint`,
      [shop, id],
    )
  )[0];
  return r ?? null;
}

/**
 * Our copy of the customer's email marketing state becomes UNSUBSCRIBED at once (an unsubscribe,
 * a complaint), so every feature reading it stops before Shopify confirms. True when it changed.
 */
export async function markEmailUnsubscribed(sql: Sql, shop: string, id: string): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE "Customer" SET "emailConsent" = 'UNSUBSCRIBED' WHERE shop = $1 AND id = $2::bigint AND "emailConsent" IS DISTINCT FROM 'UNSUBSCRIBED' RETURNING id`,
    [shop, id],
  );
  return rows.length > 0;
}

/** Stores the email marketing state Shopify reported back (customerEmailMarketingConsentUpdate). */
export async function setEmailMarketingState(sql: Sql, shop: string, id: string, state: string): Promise<void> {
  await sql.query(`UPDATE "Customer" SET "emailConsent" = $3 WHERE shop = $1 AND id = $2::bigint`, [shop, id, state]);
}

import type { Sql } from "../../app/db/sql";

export const SHOP = "analysis-test.myshopify.com";

export async function insertShop(sql: Sql, shop = SHOP, tz = "America/New_York", settings: unknown = {}) {
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", settings, "updatedAt") VALUES ($1, 'Test shop', 'USD', $2, $3::jsonb, now())
     ON CONFLICT (domain) DO UPDATE SET "ianaTimezone" = EXCLUDED."ianaTimezone", settings = EXCLUDED.settings`,
    [shop, tz, JSON.stringify(settings)],
  );
}

export interface O {
  id: number;
  customer: number | null;
  at: string;
  total: string;
  test?: boolean;
  cancelled?: boolean;
}

export async function insertOrders(sql: Sql, orders: O[], shop = SHOP) {
  for (const o of orders) {
    await sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "currentTotal", "totalPrice", currency)
       VALUES ($1, $2, $3, $4, ($5::timestamptz AT TIME ZONE 'UTC'), ($5::timestamptz AT TIME ZONE 'UTC'), ($5::timestamptz AT TIME ZONE 'UTC'),
               CASE WHEN $6 THEN ($5::timestamptz AT TIME ZONE 'UTC') END, $7, $8, $8, 'USD')`,
      [shop, o.id, o.customer, `#${o.id}`, o.at, o.cancelled ?? false, o.test ?? false, o.total],
    );
  }
}

export async function insertCustomers(sql: Sql, ids: number[], shop = SHOP) {
  for (const id of ids) {
    await sql.query(`INSERT INTO "Customer" (shop, id, email, "firstName", "lastName") VALUES ($1, $2, $3, $4, $5)`, [
      shop,
      id,
      `c${id}@example.com`,
      `First${id}`,
      `Last${id}`,
    ]);
  }
}

export async function scores(sql: Sql, shop = SHOP) {
  const rows = await sql.query<any>(
    `SELECT "customerId"::text AS id, "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", "daysSinceLast",
            "medianGapDays", "pAlive", "churnRisk", to_char("lastOrderAt", 'YYYY-MM-DD') AS last
     FROM "CustomerScore" WHERE shop = $1 ORDER BY "customerId"`,
    [shop],
  );
  return new Map(rows.map((r) => [r.id as string, r]));
}

import type { Sql } from "../../db/sql";

/**
 * The sync's part of the GDPR compliance webhooks (docs/decisions/076-table-ownership.md): its
 * tables' rows of some customers or of a whole shop, deleted or exported inside the caller's
 * transaction. app/compliance.server.ts calls these through the sync feature's hooks and never
 * names the tables itself.
 */

/** One customer's rows, per table; $1 = shop, $2 = customer ids (bigint[]). Lines before their orders. */
const CUSTOMER_ROWS: Array<{ table: string; where: string }> = [
  { table: "OrderLine", where: `"orderId" IN (SELECT id FROM "Order" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]))` },
  { table: "Order", where: `"customerId" = ANY($2::bigint[])` },
  { table: "Customer", where: `id = ANY($2::bigint[])` },
  // Staging holds rows only while a sync runs.
  {
    table: "SyncStageOrderLine",
    where: `"orderId" IN (SELECT id FROM "SyncStageOrder" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]))`,
  },
  { table: "SyncStageOrder", where: `"customerId" = ANY($2::bigint[])` },
  { table: "SyncStageCustomer", where: `id = ANY($2::bigint[])` },
];

/** Every table of the sync holding a shop's rows, children first. */
const SHOP_TABLES = [
  "SyncStageOrderLine",
  "SyncStageOrder",
  "SyncStageCustomer",
  "OrderLine",
  "Order",
  "Customer",
  "SyncBulkOperation",
  "SyncRun",
  "SyncState",
];

/** customers/redact: the customers' orders, lines, customer rows and staged rows; also orders Shopify names explicitly. */
export async function redactSyncCustomers(tx: Sql, shop: string, input: { customerIds: string[]; orderIds: string[] }) {
  // Orders Shopify names explicitly go too, even if our copy lost the customer link.
  if (input.orderIds.length) {
    await tx.query(`DELETE FROM "OrderLine" WHERE shop = $1 AND "orderId" = ANY($2::bigint[])`, [shop, input.orderIds]);
    await tx.query(`DELETE FROM "Order" WHERE shop = $1 AND id = ANY($2::bigint[])`, [shop, input.orderIds]);
  }
  if (!input.customerIds.length) return;
  for (const t of CUSTOMER_ROWS) await tx.query(`DELETE FROM "${t.table}" WHERE shop = $1 AND ${t.where}`, [shop, input.customerIds]);
}

/** shop/redact: everything the sync holds about the shop. */
export async function redactSyncShop(tx: Sql, shop: string) {
  for (const table of SHOP_TABLES) await tx.query(`DELETE FROM "${table}" WHERE shop = $1`, [shop]);
}

/** customers/data_request: the customers' rows in the sync's tables, by table. */
export async function exportSyncCustomerData(sql: Sql, shop: string, customerIds: string[]): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of CUSTOMER_ROWS)
    out[t.table] = await sql.query(`SELECT * FROM "${t.table}" WHERE shop = $1 AND ${t.where}`, [shop, customerIds]);
  return out;
}

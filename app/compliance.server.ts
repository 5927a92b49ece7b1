import { z } from "zod";
import type { Sql } from "./db/sql";
import { parseOrThrow } from "./lib/parse";
import { assertBodyShop } from "./webhooks/boundary";
import type { WebhookHandler } from "./webhooks/handlers.server";

/**
 * The GDPR compliance topics, acting for real. Every table that holds customer data is listed in
 * CUSTOMER_DATA; a feature that adds such a table adds it here, and the tests check each one.
 */
export interface CustomerDataTable {
  table: string;
  /** SQL condition selecting one customer's rows; $1 = shop, $2 = customer id (bigint). */
  customerWhere: string;
}

export const CUSTOMER_DATA: CustomerDataTable[] = [
  { table: "OrderLine", customerWhere: `"orderId" IN (SELECT id FROM "Order" WHERE shop = $1 AND "customerId" = $2)` },
  { table: "Order", customerWhere: `"customerId" = $2` },
  { table: "Customer", customerWhere: `id = $2` },
  { table: "CustomerScore", customerWhere: `"customerId" = $2` },
  { table: "DataRequest", customerWhere: `"customerId" = $2::text` },
  // Order sync staging (rows live there only while a sync runs).
  { table: "SyncStageOrderLine", customerWhere: `"orderId" IN (SELECT id FROM "SyncStageOrder" WHERE shop = $1 AND "customerId" = $2)` },
  { table: "SyncStageOrder", customerWhere: `"customerId" = $2` },
  { table: "SyncStageCustomer", customerWhere: `id = $2` },
  // Campaigns: membership and touches name the customer; the campaign row itself does not.
  { table: "CampaignTouch", customerWhere: `"customerId" = $2` },
  { table: "CampaignMember", customerWhere: `"customerId" = $2` },
  // VIP outreach (notes before their tasks).
  { table: "OutreachNote", customerWhere: `"customerId" = $2` },
  { table: "OutreachTask", customerWhere: `"customerId" = $2` },
  // Messaging: email log, relay feedback, unsubscribes (the customer is gone from Shopify too), Flow triggers.
  { table: "EmailFeedback", customerWhere: `"customerId" = $2` },
  { table: "MessageLog", customerWhere: `"customerId" = $2` },
  { table: "EmailSuppression", customerWhere: `"customerId" = $2` },
  { table: "FlowTriggerLog", customerWhere: `"customerId" = $2` },
  // Points: ledger, redemptions, expiry reminders.
  { table: "PointsLedger", customerWhere: `"customerId" = $2` },
  { table: "PointsRedemption", customerWhere: `"customerId" = $2` },
  { table: "PointsNudge", customerWhere: `"customerId" = $2` },
];

/** What shop/redact empties: customer tables plus the shop's own records. */
export const SHOP_TABLES: Array<{ table: string; shopWhere: string }> = [
  ...CUSTOMER_DATA.map((t) => ({ table: t.table, shopWhere: "shop = $1" })),
  { table: "WebhookEvent", shopWhere: "shop = $1" },
  { table: "AnalysisRun", shopWhere: "shop = $1" },
  { table: "ProgramRun", shopWhere: "shop = $1" },
  { table: "Campaign", shopWhere: "shop = $1" },
  { table: "SyncBulkOperation", shopWhere: "shop = $1" },
  { table: "SyncRun", shopWhere: "shop = $1" },
  { table: "SyncState", shopWhere: "shop = $1" },
  { table: "Job", shopWhere: "payload->>'shop' = $1" },
  { table: "Session", shopWhere: "shop = $1" },
  { table: "Shop", shopWhere: "domain = $1" },
];

// Shopify ids are PostgreSQL bigints: an id beyond 2^63 - 1 is a bad body (400), not a database error.
const MAX_ID = (1n << 63n) - 1n;
const Id = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_ID, "id is beyond 2^63 - 1");
const CustomerRef = z.object({ id: Id, email: z.string().nullish(), phone: z.string().nullish() });
// Payload shapes: shopify.dev "Privacy law compliance" (shop_id, shop_domain, customer, orders_*).
const RedactPayload = z.object({ shop_domain: z.string(), customer: CustomerRef, orders_to_redact: z.array(Id).default([]) });
const DataRequestPayload = z.object({
  shop_domain: z.string(),
  customer: CustomerRef,
  orders_requested: z.array(Id).default([]),
  data_request: z.object({ id: z.union([z.number(), z.string()]) }).optional(),
});
const ShopRedactPayload = z.object({ shop_domain: z.string() });

export async function redactCustomer(sql: Sql, shop: string, customerId: bigint, orderIds: bigint[] = []) {
  await sql.transaction(async (tx) => {
    // Orders Shopify names explicitly go too, even if our copy lost the customer link.
    if (orderIds.length) {
      await tx.query(`DELETE FROM "OrderLine" WHERE shop = $1 AND "orderId" = ANY($2::bigint[])`, [shop, orderIds.map(String)]);
      await tx.query(`DELETE FROM "Order" WHERE shop = $1 AND id = ANY($2::bigint[])`, [shop, orderIds.map(String)]);
    }
    for (const t of CUSTOMER_DATA) {
      await tx.query(`DELETE FROM "${t.table}" WHERE shop = $1 AND ${t.customerWhere}`, [shop, customerId.toString()]);
    }
  });
}

export async function redactShop(sql: Sql, shop: string) {
  await sql.transaction(async (tx) => {
    for (const t of SHOP_TABLES) await tx.query(`DELETE FROM "${t.table}" WHERE ${t.shopWhere}`, [shop]);
  });
}

/** Everything the app holds about one customer, as the merchant must hand it over. */
export async function exportCustomerData(sql: Sql, shop: string, customerId: bigint) {
  const out: Record<string, unknown[]> = {};
  for (const t of CUSTOMER_DATA) {
    if (t.table === "DataRequest") continue;
    out[t.table] = await sql.query(`SELECT * FROM "${t.table}" WHERE shop = $1 AND ${t.customerWhere}`, [shop, customerId.toString()]);
  }
  // BigInt and Decimal values are not JSON; keep them exact as strings.
  return JSON.parse(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown[]>;
}

export const complianceHandlers: Record<string, WebhookHandler> = {
  CUSTOMERS_REDACT: async ({ shop, payload, db }) => {
    const p = parseOrThrow(RedactPayload, payload, "customers/redact");
    assertBodyShop(shop, p.shop_domain, "customers/redact");
    await redactCustomer(db.sql, shop, p.customer.id, p.orders_to_redact);
  },
  CUSTOMERS_DATA_REQUEST: async ({ shop, payload, db }) => {
    const p = parseOrThrow(DataRequestPayload, payload, "customers/data_request");
    assertBodyShop(shop, p.shop_domain, "customers/data_request");
    const customerId = p.customer.id;
    const data = await exportCustomerData(db.sql, shop, customerId);
    await db.prisma.dataRequest.create({
      data: {
        shop,
        customerId: customerId.toString(),
        payload: { requestId: p.data_request?.id ?? null, ordersRequested: p.orders_requested.map(String), data } as object,
      },
    });
  },
  SHOP_REDACT: async ({ shop, payload, db }) => {
    const p = parseOrThrow(ShopRedactPayload, payload, "shop/redact");
    assertBodyShop(shop, p.shop_domain, "shop/redact");
    await redactShop(db.sql, shop);
  },
};

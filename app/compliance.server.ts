import { z } from "zod";
import type { Sql } from "./db/sql";
import { parseOrThrow } from "./lib/parse";
import { assertBodyShop } from "./webhooks/boundary";
import type { WebhookHandler } from "./webhooks/handlers.server";
import type { Feature } from "./jobs/feature";

/**
 * The GDPR compliance topics, acting for real (docs/decisions/076-table-ownership.md). Each
 * feature deletes and exports its own tables' rows through its compliance hooks
 * (app/jobs/feature.ts: redactCustomers, redactShop, exportCustomerData), all inside one
 * transaction opened here; this module names only infrastructure tables. A feature that adds
 * a table with shop or customer data covers it in its hooks; test/integration/compliance.test.ts
 * finds every such table in the schema and checks it is emptied.
 */
export type CompliancePart = Pick<Feature, "name" | "redactCustomers" | "redactShop" | "exportCustomerData">;

export interface CustomerDataTable {
  table: string;
  /** SQL condition selecting one customer's rows; $1 = shop, $2 = customer id (bigint). */
  customerWhere: string;
}

/** The compliance requests the app stored (infrastructure: this module's own table). */
const DATA_REQUEST: CustomerDataTable = { table: "DataRequest", customerWhere: `"customerId" = $2::text` };

/** Infrastructure tables, deleted after every feature's part (the Shop row at the very end). */
const INFRA_SHOP_TABLES: Array<{ table: string; shopWhere: string }> = [
  { table: DATA_REQUEST.table, shopWhere: "shop = $1" },
  { table: "WebhookEvent", shopWhere: "shop = $1" },
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

/** customers/redact: every part's rows of the customer (and the orders Shopify names), then the legacy tables. */
export async function redactCustomer(parts: CompliancePart[], sql: Sql, shop: string, customerId: bigint, orderIds: bigint[] = []) {
  await sql.transaction(async (tx) => {
    const input = { customerIds: [customerId.toString()], orderIds: orderIds.map(String) };
    for (const p of parts) await p.redactCustomers?.(tx, shop, input);
    await tx.query(`DELETE FROM "${DATA_REQUEST.table}" WHERE shop = $1 AND ${DATA_REQUEST.customerWhere}`, [shop, customerId.toString()]);
  });
}

/** shop/redact: every part's rows of the shop, then infrastructure. */
export async function redactShop(parts: CompliancePart[], sql: Sql, shop: string) {
  await sql.transaction(async (tx) => {
    for (const p of parts) await p.redactShop?.(tx, shop);
    for (const t of INFRA_SHOP_TABLES) await tx.query(`DELETE FROM "${t.table}" WHERE ${t.shopWhere}`, [shop]);
  });
}

/** Everything the app holds about one customer, as the merchant must hand it over (rows by table). */
export async function exportCustomerData(parts: CompliancePart[], sql: Sql, shop: string, customerId: bigint) {
  const out: Record<string, unknown[]> = {};
  for (const p of parts) Object.assign(out, await p.exportCustomerData?.(sql, shop, [customerId.toString()]));
  // BigInt and Decimal values are not JSON; keep them exact as strings.
  return JSON.parse(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown[]>;
}

/** The three compliance webhook handlers over the features' hooks (built by app/app.server.ts). */
export function createComplianceHandlers(parts: CompliancePart[]): Record<string, WebhookHandler> {
  return {
    CUSTOMERS_REDACT: async ({ shop, payload, db }) => {
      const p = parseOrThrow(RedactPayload, payload, "customers/redact");
      assertBodyShop(shop, p.shop_domain, "customers/redact");
      await redactCustomer(parts, db.sql, shop, p.customer.id, p.orders_to_redact);
    },
    CUSTOMERS_DATA_REQUEST: async ({ shop, payload, db }) => {
      const p = parseOrThrow(DataRequestPayload, payload, "customers/data_request");
      assertBodyShop(shop, p.shop_domain, "customers/data_request");
      const customerId = p.customer.id;
      const data = await exportCustomerData(parts, db.sql, shop, customerId);
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
      await redactShop(parts, db.sql, shop);
    },
  };
}

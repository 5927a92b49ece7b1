import { createHmac, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";

setAppEnv();

const { action: ordersCreate } = await import("../../app/routes/webhooks.orders.create");
const { action: ordersUpdated } = await import("../../app/routes/webhooks.orders.updated");
const { action: customersUpdate } = await import("../../app/routes/webhooks.customers.update");
const { action: bulkFinish } = await import("../../app/routes/webhooks.bulk_operations.finish");
const { database } = await import("../../app/db.server");
const { jobDefinitions, afterInstallHooks } = await import("../../app/app.server");

function request(topic: string, payload: unknown, webhookId = randomUUID()) {
  const body = JSON.stringify(payload);
  return new Request(`${TEST_APP.appUrl}/webhooks/${topic}`, {
    method: "POST",
    body,
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Topic": topic,
      "X-Shopify-Hmac-Sha256": createHmac("sha256", TEST_APP.apiSecret).update(body, "utf8").digest("base64"),
      "X-Shopify-Shop-Domain": TEST_APP.shop,
      "X-Shopify-API-Version": "2026-10",
      "X-Shopify-Webhook-Id": webhookId,
      "X-Shopify-Event-Id": randomUUID(),
      "X-Shopify-Triggered-At": new Date().toISOString(),
    },
  });
}

const order = (over: Record<string, unknown> = {}) => ({
  id: 820982911946154500,
  admin_graphql_api_id: "gid://shopify/Order/820982911946154508",
  name: "#9999",
  created_at: "2026-11-01T10:00:00Z",
  processed_at: "2026-11-01T10:00:00Z",
  updated_at: "2026-11-01T10:00:00Z",
  cancelled_at: null,
  test: false,
  financial_status: "paid",
  currency: "USD",
  total_price: "30.00",
  current_total_price: "30.00",
  discount_codes: [],
  // eslint-disable-next-line no-loss-of-precision -- REST ids above 2^53, as Shopify sends them: the handler must use admin_graphql_api_id
  customer: { id: 115310627314723954, admin_graphql_api_id: "gid://shopify/Customer/115310627314723954", email: "c@example.com" },
  line_items: [
    {
      // eslint-disable-next-line no-loss-of-precision -- REST ids above 2^53, as Shopify sends them: the handler must use admin_graphql_api_id
      id: 866550311766439020,
      admin_graphql_api_id: "gid://shopify/LineItem/866550311766439020",
      product_id: 1,
      variant_id: 2,
      title: "T",
      vendor: "V",
      quantity: 1,
      price: "30.00",
    },
  ],
  ...over,
});

async function agg() {
  return (
    await database.sql.query<any>(`SELECT "orderCount", "totalSpent"::text s FROM "Customer" WHERE shop = $1 AND id = 115310627314723954`, [
      TEST_APP.shop,
    ])
  )[0];
}

beforeAll(async () => {
  await database.ready();
});

describe("sync webhook routes (HMAC, dedupe, handlers) and composition root", () => {
  it("registers the sync jobs and the after-install hook", () => {
    expect(jobDefinitions.map((d) => d.queue)).toEqual(expect.arrayContaining(["sync.start", "sync.poll", "sync.ingest", "sync.delta"]));
    expect(afterInstallHooks.length).toBeGreaterThanOrEqual(1);
  });

  it("orders/create then orders/updated (refund) update aggregates; a redelivery and a late old version change nothing", async () => {
    const id = randomUUID();
    const first = await ordersCreate({ request: request("orders/create", order(), id), params: {}, context: {} });
    expect([first.status, await first.text()]).toEqual([200, ""]);
    expect(await agg()).toEqual({ orderCount: 1, s: "30.00" });
    const refunded = order({ updated_at: "2026-11-02T10:00:00Z", current_total_price: "12.50" });
    expect((await ordersUpdated({ request: request("orders/updated", refunded), params: {}, context: {} })).status).toBe(200);
    expect((await ordersCreate({ request: request("orders/create", order(), id), params: {}, context: {} })).status).toBe(200); // same webhook id
    expect((await ordersCreate({ request: request("orders/create", order()), params: {}, context: {} })).status).toBe(200); // old version, new id
    expect(await agg()).toEqual({ orderCount: 1, s: "12.50" });
  });

  it("customers/update is applied; a malformed body is a client error (400, app/webhooks dispatcher) and changes nothing", async () => {
    const p = {
      // eslint-disable-next-line no-loss-of-precision -- REST ids above 2^53, as Shopify sends them: the handler must use admin_graphql_api_id
      id: 115310627314723954,
      admin_graphql_api_id: "gid://shopify/Customer/115310627314723954",
      email: "new@example.com",
      first_name: "N",
      last_name: null,
      updated_at: "2026-11-03T00:00:00Z",
      tags: "a, b",
    };
    expect((await customersUpdate({ request: request("customers/update", p), params: {}, context: {} })).status).toBe(200);
    const bad = await ordersUpdated({ request: request("orders/updated", { id: "nope" }), params: {}, context: {} });
    expect(bad.status).toBe(400);
    const c = (
      await database.sql.query<any>(`SELECT email, tags FROM "Customer" WHERE shop = $1 AND id = 115310627314723954`, [TEST_APP.shop])
    )[0];
    expect(c).toEqual({ email: "new@example.com", tags: ["a", "b"] });
    const o = (await database.sql.query<any>(`SELECT id::text FROM "Order" WHERE shop = $1`, [TEST_APP.shop]))[0];
    expect(o.id).toBe("820982911946154508"); // exact, from admin_graphql_api_id
  });

  it("bulk_operations/finish for one of our operations enqueues sync.ingest once; unknown operations are ignored", async () => {
    await database.sql.query(`INSERT INTO "SyncRun" (id, shop, "updatedAt") VALUES ('run-w', $1, now())`, [TEST_APP.shop]);
    await database.sql.query(
      `INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource) VALUES ('gid://shopify/BulkOperation/77', 'run-w', $1, 'orders')`,
      [TEST_APP.shop],
    );
    const payload = {
      admin_graphql_api_id: "gid://shopify/BulkOperation/77",
      completed_at: "2026-11-01T00:00:00Z",
      created_at: "2026-11-01T00:00:00Z",
      error_code: null,
      status: "completed",
      type: "query",
    };
    expect((await bulkFinish({ request: request("bulk_operations/finish", payload), params: {}, context: {} })).status).toBe(200);
    expect((await bulkFinish({ request: request("bulk_operations/finish", payload), params: {}, context: {} })).status).toBe(200); // duplicate with a new id
    const other = { ...payload, admin_graphql_api_id: "gid://shopify/BulkOperation/78" };
    expect((await bulkFinish({ request: request("bulk_operations/finish", other), params: {}, context: {} })).status).toBe(200);
    const jobs = await database.sql.query<any>(`SELECT queue, payload, "singletonKey" FROM "Job" WHERE queue = 'sync.ingest'`);
    expect(jobs).toEqual([
      {
        queue: "sync.ingest",
        payload: { shop: TEST_APP.shop, runId: "run-w", bulkId: "gid://shopify/BulkOperation/77" },
        singletonKey: "gid://shopify/BulkOperation/77",
      },
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { delivery, shopifyHmac } from "./support";

setAppEnv();

// The app's webhook entry: the dispatcher with the composition root's handler map.
const { receiveWebhook } = await import("../../app/app.server");
const { MAX_WEBHOOK_BODY_BYTES } = await import("../../app/webhooks/boundary");
const { action: shopRedactRoute } = await import("../../app/routes/webhooks.shop.redact");
const { database } = await import("../../app/db.server");

const A = "shop-a.myshopify.com";
const C = "shop-c.myshopify.com";

async function seedShop(t: TestDb, shop: string) {
  await t.db.sql.query(`INSERT INTO "Customer" (shop, id, email, "orderCount", "totalSpent") VALUES ($1, 7, 'ann@example.com', 1, 10)`, [
    shop,
  ]);
  await t.db.prisma.shop.create({ data: { domain: shop, currencyCode: "EUR" } });
  await t.db.prisma.session.create({ data: { id: `offline_${shop}`, shop, state: "s", accessToken: "tok" } });
}

const customers = async (t: TestDb, shop: string) => t.db.prisma.customer.count({ where: { shop } });

beforeAll(async () => {
  await database.ready();
});

describe.each(databaseKinds)("compliance and uninstall bodies must name the delivery's shop, on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seedShop(t, A);
    await seedShop(t, C);
  });
  afterAll(() => t.drop());

  // Payload fields: shopify.dev "Privacy law compliance" (shop_domain) and the app/uninstalled shop resource (myshopify_domain).
  it("a signed shop/redact body naming shop A sent with shop C's header is refused and shop C keeps its data", async () => {
    const r = await receiveWebhook(delivery("shop/redact", { shop_id: 1, shop_domain: A }, { shop: C }), { db: t.db });
    expect(r.status).toBe(401);
    expect(await r.text()).toMatch(/names shop-a\.myshopify\.com but the delivery is for shop-c\.myshopify\.com/);
    expect(await customers(t, C)).toBe(1);
    expect(await t.db.prisma.shop.count({ where: { domain: C } })).toBe(1);
    expect(await customers(t, A)).toBe(1);
  });

  it("customers/redact and customers/data_request with another shop's body change nothing", async () => {
    const redact = { shop_id: 1, shop_domain: A, customer: { id: 7 }, orders_to_redact: [] };
    expect((await receiveWebhook(delivery("customers/redact", redact, { shop: C }), { db: t.db })).status).toBe(401);
    expect(await customers(t, C)).toBe(1);
    const request = { shop_id: 1, shop_domain: A, customer: { id: 7 }, orders_requested: [], data_request: { id: 1 } };
    expect((await receiveWebhook(delivery("customers/data_request", request, { shop: C }), { db: t.db })).status).toBe(401);
    expect(await t.db.prisma.dataRequest.count()).toBe(0);
  });

  it("app/uninstalled with another shop's body leaves the shop installed and its session in place", async () => {
    const body = { id: 1, name: "A", domain: A, myshopify_domain: A };
    expect((await receiveWebhook(delivery("app/uninstalled", body, { shop: C }), { db: t.db })).status).toBe(401);
    expect(await t.db.prisma.session.count({ where: { shop: C } })).toBe(1);
    expect((await t.db.prisma.shop.findUniqueOrThrow({ where: { domain: C } })).uninstalledAt).toBeNull();
    // The matching body is acted on.
    expect((await receiveWebhook(delivery("app/uninstalled", { ...body, myshopify_domain: C }, { shop: C }), { db: t.db })).status).toBe(
      200,
    );
    expect(await t.db.prisma.session.count({ where: { shop: C } })).toBe(0);
  });

  it("a matching shop/redact body is acted on", async () => {
    expect((await receiveWebhook(delivery("shop/redact", { shop_id: 1, shop_domain: C }, { shop: C }), { db: t.db })).status).toBe(200);
    expect(await customers(t, C)).toBe(0);
    expect(await customers(t, A)).toBe(1);
  });
});

describe("webhook body size cap", () => {
  /** A body of `total` bytes produced on demand; counts what was pulled from it. */
  function streamed(total: number) {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const stats = { pulled: 0 };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (stats.pulled >= total) return controller.close();
        stats.pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return { body, stats };
  }

  const forged = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    new Request(`${TEST_APP.appUrl}/webhooks/shop/redact`, {
      method: "POST",
      body,
      headers: {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "shop/redact",
        "X-Shopify-Hmac-Sha256": shopifyHmac("{}"),
        "X-Shopify-Shop-Domain": TEST_APP.shop,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": "w-big",
        ...headers,
      },
      duplex: "half",
    } as RequestInit);

  it("refuses a 40 MB body declared in Content-Length with 413 without reading it", async () => {
    const { body, stats } = streamed(40 * 1024 * 1024);
    const r = await shopRedactRoute({ request: forged(body, { "Content-Length": String(40 * 1024 * 1024) }), params: {}, context: {} });
    expect(r.status).toBe(413);
    expect(stats.pulled).toBeLessThanOrEqual(64 * 1024 * 2); // at most what the stream pre-fills, never the body
  });

  it("refuses a 40 MB body without Content-Length with 413 after reading no more than the cap", async () => {
    const { body, stats } = streamed(40 * 1024 * 1024);
    const r = await shopRedactRoute({ request: forged(body), params: {}, context: {} });
    expect(r.status).toBe(413);
    expect(stats.pulled).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES + 3 * 64 * 1024);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { delivery } from "./support";

setAppEnv();

// The app's webhook entry: the dispatcher with the composition root's handler map.
const { receiveWebhook } = await import("../../app/app.server");
const { database } = await import("../../app/db.server");

const SHOP = TEST_APP.shop;
const dataRequest = (customerId: number) => ({
  shop_id: 1,
  shop_domain: SHOP,
  customer: { id: customerId, email: `c${customerId}@example.com` },
  orders_requested: [],
  data_request: { id: customerId },
});

beforeAll(async () => {
  // authenticate.webhook looks up the shop's offline session in the app's own database.
  await database.ready();
});

describe.each(databaseKinds)("webhook dispatcher on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(() => t.drop());

  const exports = async (customerId: number) => t.db.prisma.dataRequest.count({ where: { shop: SHOP, customerId: String(customerId) } });

  it("runs a duplicate delivery of one event (same X-Shopify-Event-Id, new X-Shopify-Webhook-Id) once", async () => {
    // shopify.dev "Ignore duplicate webhooks": the same X-Shopify-Event-Id on more than one delivery indicates a duplicate.
    const eventId = randomUUID();
    const first = await receiveWebhook(delivery("customers/data_request", dataRequest(11), { eventId }), { db: t.db });
    const second = await receiveWebhook(delivery("customers/data_request", dataRequest(11), { eventId }), { db: t.db });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await exports(11)).toBe(1);
    // Other events still run, also without an event id (the header is optional for older senders).
    expect((await receiveWebhook(delivery("customers/data_request", dataRequest(11), { eventId: null }), { db: t.db })).status).toBe(200);
    expect(await exports(11)).toBe(2);
  });

  it("runs ten concurrent deliveries with one webhook id exactly once, and answers each 200", async () => {
    const webhookId = randomUUID();
    const eventId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        // A generous wait: the duplicates answer after the first finished, however busy the machine.
        receiveWebhook(delivery("customers/data_request", dataRequest(12), { webhookId, eventId }), { db: t.db, inFlightWaitMs: 120_000 }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(await exports(12)).toBe(1);
    const claims = await t.db.sql.query<{ n: number; done: number }>(
      `SELECT count(*)::int AS n, count("completedAt")::int AS done FROM "WebhookEvent" WHERE "webhookId" = $1`,
      [webhookId],
    );
    expect(claims).toEqual([{ n: 1, done: 1 }]);
  });

  it("a duplicate of a delivery still running answers 409 once its wait is over (Shopify retries it later), without running", async () => {
    const webhookId = randomUUID();
    await t.db.sql.query(
      `INSERT INTO "WebhookEvent" ("webhookId", shop, topic, "receivedAt") VALUES ($1, $2, 'CUSTOMERS_DATA_REQUEST', now() AT TIME ZONE 'UTC')`,
      [webhookId, SHOP],
    );
    const r = await receiveWebhook(delivery("customers/data_request", dataRequest(13), { webhookId }), { db: t.db, inFlightWaitMs: 0 });
    expect(r.status).toBe(409);
    expect(await exports(13)).toBe(0);
  });

  it("takes over the claim of a delivery whose process died (claim older than the lease)", async () => {
    const webhookId = randomUUID();
    await t.db.sql.query(
      `INSERT INTO "WebhookEvent" ("webhookId", shop, topic, "receivedAt") VALUES ($1, $2, 'CUSTOMERS_DATA_REQUEST', (now() - interval '1 hour') AT TIME ZONE 'UTC')`,
      [webhookId, SHOP],
    );
    const r = await receiveWebhook(delivery("customers/data_request", dataRequest(14), { webhookId }), { db: t.db, inFlightWaitMs: 0 });
    expect(r.status).toBe(200);
    expect(await exports(14)).toBe(1);
  });

  it("releases the claim when the handler fails, so Shopify's retry of the delivery runs it", async () => {
    let failures = 1;
    const prisma = new Proxy(t.db.prisma, {
      get(target, prop, receiver) {
        if (prop !== "dataRequest") return Reflect.get(target, prop, receiver);
        return {
          create: async (args: Parameters<typeof target.dataRequest.create>[0]) => {
            if (failures-- > 0) throw new Error("connection reset by peer");
            return target.dataRequest.create(args);
          },
        };
      },
    });
    const flaky = { ...t.db, prisma };
    const webhookId = randomUUID();
    const eventId = randomUUID();
    const first = await receiveWebhook(delivery("customers/data_request", dataRequest(15), { webhookId, eventId }), { db: flaky });
    expect(first.status).toBe(500);
    expect(await t.db.sql.query(`SELECT 1 FROM "WebhookEvent" WHERE "webhookId" = $1`, [webhookId])).toEqual([]);
    const retry = await receiveWebhook(delivery("customers/data_request", dataRequest(15), { webhookId, eventId }), { db: flaky });
    expect(retry.status).toBe(200);
    expect(await exports(15)).toBe(1);
  });

  it("refuses a delivery triggered before Shopify's retry window (8 tries over 4 hours) and runs nothing; no header is allowed", async () => {
    const stale = await receiveWebhook(
      delivery("customers/data_request", dataRequest(16), { triggeredAt: new Date(Date.now() - 6 * 3_600_000) }),
      { db: t.db },
    );
    expect(stale.status).toBe(400);
    expect(await stale.text()).toMatch(/older than Shopify's retry window/);
    expect(await exports(16)).toBe(0);
    const retried = await receiveWebhook(
      delivery("customers/data_request", dataRequest(16), { triggeredAt: new Date(Date.now() - 3.5 * 3_600_000) }),
      { db: t.db },
    );
    expect(retried.status).toBe(200);
    const noHeader = await receiveWebhook(delivery("customers/data_request", dataRequest(17), { triggeredAt: null }), { db: t.db });
    expect(noHeader.status).toBe(200);
    expect(await exports(17)).toBe(1);
  });

  it("answers 400 to a validly signed body that is not JSON or holds an id above 2^63, and stores nothing", async () => {
    const notJson = await receiveWebhook(delivery("customers/data_request", null, { rawBody: '{"shop_domain": "x", ' }), { db: t.db });
    expect(notJson.status).toBe(400);
    const huge = await receiveWebhook(delivery("customers/data_request", { ...dataRequest(1), customer: { id: "18446744073709551616" } }), {
      db: t.db,
    });
    expect(huge.status).toBe(400);
    expect(await huge.text()).toMatch(/customer\.id: id is beyond 2\^63/);
    // An order whose exact id (admin_graphql_api_id) no bigint column can hold: the database refuses it, the answer is 400.
    const order = {
      id: 1,
      admin_graphql_api_id: "gid://shopify/Order/99999999999999999999",
      name: "#1",
      created_at: "2026-11-01T10:00:00Z",
      updated_at: "2026-11-01T10:00:00Z",
      currency: "USD",
      total_price: "1.00",
      line_items: [],
    };
    expect((await receiveWebhook(delivery("orders/create", order), { db: t.db })).status).toBe(400);
    expect(await t.db.prisma.order.count()).toBe(0);
    expect(
      await t.db.prisma.dataRequest.count({ where: { customerId: { not: { in: ["11", "12", "13", "14", "15", "16", "17"] } } } }),
    ).toBe(0);
  });

  it("removes NUL from every string of the body before the handler sees it", async () => {
    const body = JSON.stringify({ ...dataRequest(19), data_request: { id: "req\u0000-19" } });
    expect(body).toContain("\\u0000");
    const r = await receiveWebhook(delivery("customers/data_request", null, { rawBody: body }), { db: t.db });
    expect(r.status).toBe(200);
    const stored = await t.db.prisma.dataRequest.findFirstOrThrow({ where: { shop: SHOP, customerId: "19" } });
    expect((stored.payload as { requestId: string }).requestId).toBe("req-19");
  });

  it("stores an order whose name and line title hold NUL (stripped) instead of failing every retry", async () => {
    const order = {
      id: 4242,
      admin_graphql_api_id: "gid://shopify/Order/4242",
      name: "#42\u0000A",
      created_at: "2026-11-01T10:00:00Z",
      updated_at: "2026-11-01T10:00:00Z",
      currency: "USD",
      total_price: "5.00",
      customer: null,
      line_items: [{ id: 1, admin_graphql_api_id: "gid://shopify/LineItem/1", title: "Mug\u0000", quantity: 1, price: "5.00" }],
    };
    const r = await receiveWebhook(delivery("orders/create", order), { db: t.db });
    expect(r.status).toBe(200);
    const rows = await t.db.sql.query<{ name: string; title: string }>(
      `SELECT o.name, l."productTitle" AS title FROM "Order" o JOIN "OrderLine" l ON l.shop = o.shop AND l."orderId" = o.id WHERE o.shop = $1 AND o.id = 4242`,
      [SHOP],
    );
    expect(rows).toEqual([{ name: "#42A", title: "Mug" }]);
  });

  it("prunes finished claims older than the retention in the background, never recent or running ones", async () => {
    const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    await t.db.sql.query(
      `INSERT INTO "WebhookEvent" ("webhookId", shop, topic, "receivedAt", "completedAt") VALUES
         ('old-done', $1, 'ORDERS_CREATE', $2::timestamptz AT TIME ZONE 'UTC', $2::timestamptz AT TIME ZONE 'UTC'),
         ('old-running', $1, 'ORDERS_CREATE', $2::timestamptz AT TIME ZONE 'UTC', NULL),
         ('recent-done', $1, 'ORDERS_CREATE', $3::timestamptz AT TIME ZONE 'UTC', $3::timestamptz AT TIME ZONE 'UTC')`,
      [SHOP, days(8), days(6)],
    );
    // pruneEvery: 1 makes this delivery the one that prunes.
    expect((await receiveWebhook(delivery("customers/data_request", dataRequest(31)), { db: t.db, pruneEvery: 1 })).status).toBe(200);
    const left = async () =>
      (
        await t.db.sql.query<{ webhookId: string }>(
          `SELECT "webhookId" FROM "WebhookEvent" WHERE "webhookId" IN ('old-done', 'old-running', 'recent-done') ORDER BY 1`,
        )
      ).map((r) => r.webhookId);
    // The prune is not awaited by the delivery: wait for it to land.
    for (let i = 0; i < 600 && (await left()).includes("old-done"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await left()).toEqual(["old-running", "recent-done"]);
  });
});

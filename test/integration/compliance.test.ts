import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complianceHandlers, CUSTOMER_DATA, SHOP_TABLES } from "../../app/compliance.server";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

const SHOP = "redact-me.myshopify.com";
const OTHER = "keep-me.myshopify.com";

async function seed(t: TestDb, shop: string) {
  const sql = t.db.sql;
  for (const [id, email] of [[1, "ann@example.com"], [2, "bob@example.com"]] as const) {
    await sql.query(`INSERT INTO "Customer" (shop, id, email, "orderCount", "totalSpent") VALUES ($1, $2, $3, 1, 10)`, [shop, id, email]);
    await sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency) VALUES ($1, $2, $3, now(), now(), now(), 10, 10, 'USD')`,
      [shop, 100 + id, id],
    );
    await sql.query(`INSERT INTO "OrderLine" (shop, id, "orderId", quantity, "unitPrice") VALUES ($1, $2, $3, 1, 10)`, [shop, 1000 + id, 100 + id]);
  }
  await t.db.prisma.shop.create({ data: { domain: shop } });
  await t.db.prisma.session.create({ data: { id: `offline_${shop}`, shop, state: "s", accessToken: "tok" } });
}

async function count(t: TestDb, table: string, shop: string) {
  const where = SHOP_TABLES.find((s) => s.table === table)!.shopWhere;
  const [r] = await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, [shop]);
  return r!.n;
}

describe.each(databaseKinds)("compliance webhooks on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seed(t, SHOP);
    await seed(t, OTHER);
  });
  afterAll(() => t.drop());

  it("customers/data_request stores everything held about that customer, and nothing about others", async () => {
    await complianceHandlers.CUSTOMERS_DATA_REQUEST!({
      shop: SHOP,
      topic: "CUSTOMERS_DATA_REQUEST",
      webhookId: "w1",
      db: t.db,
      payload: { shop_id: 1, shop_domain: SHOP, customer: { id: 1, email: "ann@example.com" }, orders_requested: [101], data_request: { id: 9 } },
    });
    const reqs = await t.db.prisma.dataRequest.findMany({ where: { shop: SHOP } });
    expect(reqs).toHaveLength(1);
    const payload = reqs[0]!.payload as { requestId: number; data: Record<string, Array<Record<string, unknown>>> };
    expect(payload.requestId).toBe(9);
    expect(payload.data.Customer!.map((c) => c.email)).toEqual(["ann@example.com"]);
    expect(payload.data.Order!.map((o) => o.id)).toEqual(["101"]);
    expect(payload.data.OrderLine!.map((o) => o.id)).toEqual(["1001"]);
  });

  it("customers/redact deletes that customer's rows in every customer-data table", async () => {
    await complianceHandlers.CUSTOMERS_REDACT!({
      shop: SHOP,
      topic: "CUSTOMERS_REDACT",
      webhookId: "w2",
      db: t.db,
      payload: { shop_id: 1, shop_domain: SHOP, customer: { id: 1, email: "ann@example.com" }, orders_to_redact: [101] },
    });
    for (const table of CUSTOMER_DATA.map((c) => c.table)) {
      const rows = await t.db.sql.query(`SELECT * FROM "${table}" WHERE shop = $1`, [SHOP]);
      expect(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), table).not.toContain("ann@example.com");
    }
    expect(await t.db.prisma.customer.findMany({ where: { shop: SHOP }, select: { id: true } })).toEqual([{ id: 2n }]);
    expect(await t.db.prisma.order.count({ where: { shop: SHOP } })).toBe(1);
    expect(await t.db.prisma.orderLine.count({ where: { shop: SHOP } })).toBe(1);
    expect(await t.db.prisma.dataRequest.count({ where: { shop: SHOP } })).toBe(0);
    expect(await t.db.prisma.customer.count({ where: { shop: OTHER } })).toBe(2);
  });

  it("shop/redact deletes all of the shop's data and leaves other shops alone", async () => {
    await t.db.prisma.job.create({ data: { queue: "sync.start", payload: { shop: SHOP } } });
    await t.db.prisma.job.create({ data: { queue: "sync.start", payload: { shop: OTHER } } });
    await complianceHandlers.SHOP_REDACT!({ shop: SHOP, topic: "SHOP_REDACT", webhookId: "w3", db: t.db, payload: { shop_id: 1, shop_domain: SHOP } });
    for (const { table } of SHOP_TABLES) {
      expect(await count(t, table, SHOP), table).toBe(0);
    }
    expect(await count(t, "Job", OTHER)).toBe(1);
    expect(await count(t, "Customer", OTHER)).toBe(2);
    expect(await count(t, "Session", OTHER)).toBe(1);
  });

  it("a malformed body is an INVALID_INPUT error, not a crash", async () => {
    await expect(
      complianceHandlers.CUSTOMERS_REDACT!({ shop: SHOP, topic: "CUSTOMERS_REDACT", webhookId: "w4", db: t.db, payload: { customer: {} } }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

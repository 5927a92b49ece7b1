import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createComplianceHandlers } from "../../app/compliance.server";
import type { Sql } from "../../app/db/sql";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { setAppEnv } from "../support/app-env";

setAppEnv();
// The production list of features (app/app.server.ts): each brings its compliance hooks.
const { complianceParts } = await import("../../app/app.server");

const SHOP = "redact-me.myshopify.com";
const OTHER = "keep-me.myshopify.com";

/**
 * The handlers as production builds them: the features' hooks (docs/decisions/076), then the tables
 * of features without hooks yet (compliance.server.ts's legacy lists). Each test runs them on its own
 * database, whatever database the app's modules opened.
 */
const complianceHandlers = createComplianceHandlers(complianceParts);

async function seed(t: TestDb, shop: string) {
  const sql = t.db.sql;
  for (const [id, email] of [
    [1, "ann@example.com"],
    [2, "bob@example.com"],
  ] as const) {
    await sql.query(`INSERT INTO "Customer" (shop, id, email, "orderCount", "totalSpent") VALUES ($1, $2, $3, 1, 10)`, [shop, id, email]);
    await sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency) VALUES ($1, $2, $3, now(), now(), now(), 10, 10, 'USD')`,
      [shop, 100 + id, id],
    );
    await sql.query(`INSERT INTO "OrderLine" (shop, id, "orderId", quantity, "unitPrice") VALUES ($1, $2, $3, 1, 10)`, [
      shop,
      1000 + id,
      100 + id,
    ]);
  }
  await t.db.prisma.shop.create({ data: { domain: shop } });
  await t.db.prisma.session.create({ data: { id: `offline_${shop}`, shop, state: "s", accessToken: "tok" } });
}

interface Column {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

/**
 * Every column of the app's tables, read from the schema itself (so a new table is never missed).
 * Partitions are left out: a shop's scores live in a partition of CustomerScore (ADR 106), read,
 * exported and deleted through the partitioned table.
 */
async function columns(sql: Sql): Promise<Column[]> {
  return sql.query<Column>(
    `SELECT table_name AS "table", column_name AS "column", data_type AS type, is_nullable = 'YES' AS nullable, column_default IS NOT NULL AS "hasDefault"
       FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'
        AND table_name NOT IN (SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition AND n.nspname = current_schema())
      ORDER BY table_name, ordinal_position`,
  );
}

/** Tables holding a shop's rows: a `shop` column (the Shop row itself: `domain`). */
async function shopTables(sql: Sql): Promise<string[]> {
  const cols = await columns(sql);
  return [...new Set(cols.filter((c) => c.column === "shop" || (c.table === "Shop" && c.column === "domain")).map((c) => c.table))];
}

/**
 * One row of `SHOP`'s for customer 1 in every table with a shop column, whatever its shape: each
 * required column gets a value of its type (text columns the same value, so keys that point at
 * another table's text id match). Tables pointing at others are retried until their parents exist.
 */
async function seedEveryTable(sql: Sql): Promise<string[]> {
  const cols = await columns(sql);
  const tables = (await shopTables(sql)).filter((t) => t !== "Shop");
  const value = (c: Column): string | null => {
    if (c.column === "shop") return `'${SHOP}'`;
    if (c.column === "customerId") return c.type === "text" ? `'1'` : `1`;
    if (c.nullable || c.hasDefault) return null;
    if (c.type === "ARRAY") return `'{}'`;
    if (/char|text/.test(c.type)) return `'x'`;
    if (/int|numeric|double|real/.test(c.type)) return `1`;
    if (c.type === "boolean") return `false`;
    if (/timestamp|date/.test(c.type)) return `now()`;
    if (/json/.test(c.type)) return `'{}'`;
    if (c.type === "uuid") return `gen_random_uuid()`;
    throw new Error(`no test value for ${c.table}.${c.column} (${c.type})`);
  };
  let pending = tables;
  for (let pass = 0; pass < 5 && pending.length; pass++) {
    const failed: string[] = [];
    for (const table of pending) {
      const set = cols
        .filter((c) => c.table === table)
        .flatMap((c) => {
          const v = value(c);
          return v === null ? [] : [[c.column, v] as const];
        });
      try {
        await sql.query(
          `INSERT INTO "${table}" (${set.map(([c]) => `"${c}"`).join(", ")}) VALUES (${set.map(([, v]) => v).join(", ")}) ON CONFLICT DO NOTHING`,
        );
      } catch {
        failed.push(table);
      }
    }
    pending = failed;
  }
  expect(pending, "tables the test could not fill").toEqual([]);
  return tables;
}

async function countOf(sql: Sql, table: string, shop: string) {
  const where = table === "Shop" ? "domain = $1" : "shop = $1";
  const [r] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE ${where}`, [shop]);
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

  it("the sync and the analysis delete their tables through hooks", () => {
    expect(complianceParts.filter((p) => p.redactCustomers && p.redactShop && p.exportCustomerData).map((p) => p.name)).toEqual(
      expect.arrayContaining(["sync", "analysis"]),
    );
  });

  it("customers/data_request stores everything held about that customer, and nothing about others", async () => {
    await complianceHandlers.CUSTOMERS_DATA_REQUEST!({
      shop: SHOP,
      topic: "CUSTOMERS_DATA_REQUEST",
      webhookId: "w1",
      db: t.db,
      payload: {
        shop_id: 1,
        shop_domain: SHOP,
        customer: { id: 1, email: "ann@example.com" },
        orders_requested: [101],
        data_request: { id: 9 },
      },
    });
    const reqs = await t.db.prisma.dataRequest.findMany({ where: { shop: SHOP } });
    expect(reqs).toHaveLength(1);
    const payload = reqs[0]!.payload as { requestId: number; data: Record<string, Array<Record<string, unknown>>> };
    expect(payload.requestId).toBe(9);
    expect(payload.data.Customer!.map((c) => c.email)).toEqual(["ann@example.com"]);
    expect(payload.data.Order!.map((o) => o.id)).toEqual(["101"]);
    expect(payload.data.OrderLine!.map((o) => o.id)).toEqual(["1001"]);
    // Every table with a customer column is in the export (from its owner's hook or the legacy list).
    const customerTables = [...new Set((await columns(t.db.sql)).filter((c) => c.column === "customerId").map((c) => c.table))].filter(
      (x) => x !== "DataRequest",
    );
    expect(customerTables.filter((x) => !(x in payload.data))).toEqual([]);
  });

  it("customers/redact deletes that customer's rows in every table that names a customer", async () => {
    const tables = await seedEveryTable(t.db.sql);
    expect(tables.length).toBeGreaterThan(20);
    await complianceHandlers.CUSTOMERS_REDACT!({
      shop: SHOP,
      topic: "CUSTOMERS_REDACT",
      webhookId: "w2",
      db: t.db,
      payload: { shop_id: 1, shop_domain: SHOP, customer: { id: 1, email: "ann@example.com" }, orders_to_redact: [101] },
    });
    for (const table of [...new Set((await columns(t.db.sql)).filter((c) => c.column === "customerId").map((c) => c.table))]) {
      const rows = await t.db.sql.query(`SELECT 1 FROM "${table}" WHERE shop = $1 AND "customerId"::text = '1'`, [SHOP]);
      expect(rows, table).toEqual([]);
    }
    const customerTables = (await columns(t.db.sql)).filter((c) => c.column === "customerId").map((c) => c.table);
    for (const table of new Set(["Customer", "SyncStageCustomer", ...customerTables])) {
      const rows = await t.db.sql.query(`SELECT * FROM "${table}" WHERE shop = $1`, [SHOP]);
      expect(
        JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
        table,
      ).not.toContain("ann@example.com");
    }
    expect(await t.db.prisma.customer.findMany({ where: { shop: SHOP }, select: { id: true } })).toEqual([{ id: 2n }]);
    expect(await t.db.prisma.order.count({ where: { shop: SHOP } })).toBe(1);
    expect(await t.db.prisma.orderLine.count({ where: { shop: SHOP } })).toBe(1);
    expect(await t.db.prisma.dataRequest.count({ where: { shop: SHOP } })).toBe(0);
    expect(await t.db.prisma.customer.count({ where: { shop: OTHER } })).toBe(2);
  });

  it("shop/redact empties every table with a shop column and leaves other shops alone", async () => {
    await seedEveryTable(t.db.sql);
    await t.db.prisma.job.create({ data: { queue: "sync.start", payload: { shop: SHOP } } });
    await t.db.prisma.job.create({ data: { queue: "sync.start", payload: { shop: OTHER } } });
    await complianceHandlers.SHOP_REDACT!({
      shop: SHOP,
      topic: "SHOP_REDACT",
      webhookId: "w3",
      db: t.db,
      payload: { shop_id: 1, shop_domain: SHOP },
    });
    const tables = await shopTables(t.db.sql);
    expect(tables).toContain("Shop");
    for (const table of tables) expect(await countOf(t.db.sql, table, SHOP), table).toBe(0);
    const [jobs] = await t.db.sql.query<{ mine: number; other: number }>(
      `SELECT count(*) FILTER (WHERE payload->>'shop' = $1)::int AS mine, count(*) FILTER (WHERE payload->>'shop' = $2)::int AS other FROM "Job"`,
      [SHOP, OTHER],
    );
    expect(jobs).toEqual({ mine: 0, other: 1 });
    expect(await countOf(t.db.sql, "Customer", OTHER)).toBe(2);
    expect(await countOf(t.db.sql, "Session", OTHER)).toBe(1);
  });

  it("a malformed body is an INVALID_INPUT error, not a crash", async () => {
    await expect(
      complianceHandlers.CUSTOMERS_REDACT!({ shop: SHOP, topic: "CUSTOMERS_REDACT", webhookId: "w4", db: t.db, payload: { customer: {} } }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
  });
});

import { afterAll, describe, expect, it } from "vitest";
import { withShop, type Sql } from "../../app/db/sql";
import { parseJsonlBatch } from "../../app/shopify/jsonl/batch";
import { renderBatch, utcTimestamp } from "../../app/sync/store/rows";
import { beginDirectLoad, loadDirectRows, mergeStaged, stageRows } from "../../app/sync/store/staging";
import { createTestDb, databaseKinds, TEST_DATABASE_URL, type TestDb } from "../support/db";

// ADR 097: the direct load COPYs the workers' text straight into "Order"/"OrderLine", so the worker
// renders the live tables' forms itself (UTC timestamps, text[] literals) instead of letting the
// staged merge's SQL convert them. These tests hold the two renderings to the same rows in the
// database, for values chosen to break a naive rendering.

const awkward = 'a\tb\nc\rd\\e\u0000f "q" {x,y} NULL ☕ 😀 \u001f é';
// U+001F is left out of the codes: the staged path joins codes with it (rows.ts LIST_SEP).
const awkwardCode = awkward.replace("\u001f", "");
const order = (n: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `gid://shopify/Order/${n}`,
    name: `#${n}`,
    processedAt: "2026-01-01T00:00:00Z",
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-02T00:00:00Z",
    cancelledAt: null,
    test: false,
    displayFinancialStatus: "PAID",
    currentTotalPriceSet: { shopMoney: { amount: "10.50", currencyCode: "EUR" } },
    totalPriceSet: { shopMoney: { amount: "10.50" } },
    discountCodes: [],
    customer: { id: `gid://shopify/Customer/${n % 3}` },
    ...over,
  });
const lines = [
  order(1, { name: awkward, discountCodes: [awkwardCode, "B\\2", "", "NULL", '"', "\\"], cancelledAt: "2026-01-03T04:05:06.789Z" }),
  // Offsets other than Z, across a day, a month and a year boundary, and fractions PostgreSQL rounds.
  order(2, {
    processedAt: "2025-12-31T22:30:00-05:00",
    createdAt: "2026-03-01T01:00:00.1234567+05:30",
    updatedAt: "2024-02-29T23:59:59.9996-00:30",
  }),
  order(3, { customer: null, displayFinancialStatus: null, name: null, cancelledAt: "0099-06-01T00:00:00+14:00", test: true }),
  order(4, {
    discountCodes: ["{}", "a,b", " spaced ", "ü\u0000x"],
    currentTotalPriceSet: { shopMoney: { amount: "-3.456", currencyCode: "USD" } },
  }),
  JSON.stringify({
    id: "gid://shopify/LineItem/7",
    quantity: 2,
    product: { id: "gid://shopify/Product/1", productType: awkward, vendor: null, title: "\\N" },
    variant: { id: "gid://shopify/ProductVariant/5" },
    originalUnitPriceSet: { shopMoney: { amount: "0.999", currencyCode: "EUR" } },
    __parentId: "gid://shopify/Order/1",
  }),
  JSON.stringify({
    id: "gid://shopify/LineItem/8",
    quantity: -1,
    product: null,
    variant: null,
    originalUnitPriceSet: { shopMoney: { amount: "12", currencyCode: "EUR" } },
    __parentId: "gid://shopify/Order/2",
  }),
];
const parsed = () => parseJsonlBatch({ bytes: new TextEncoder().encode(lines.join("\n") + "\n"), firstLine: 1, maxSamples: 20 });

async function liveRows(sql: Sql, shop: string) {
  const o = await sql.query(
    `SELECT id::text, "customerId"::text, name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "financialStatus",
       "currentTotal"::text, "totalPrice"::text, currency, "discountCodes" FROM "Order" WHERE shop = $1 ORDER BY id`,
    [shop],
  );
  const l = await sql.query(
    `SELECT id::text, "orderId"::text, "productId"::text, "variantId"::text, "productTitle", "productType", vendor, quantity, "unitPrice"::text
     FROM "OrderLine" WHERE shop = $1 ORDER BY id`,
    [shop],
  );
  return { o, l };
}

describe("utcTimestamp (the live tables' timestamp(3) text)", () => {
  it("drops Z, applies any other offset, keeps the fraction, and refuses what PostgreSQL would refuse", () => {
    expect(utcTimestamp("2026-01-01T00:00:00Z")).toBe("2026-01-01T00:00:00");
    expect(utcTimestamp("2025-12-31T22:30:00.5-05:00")).toBe("2026-01-01T03:30:00.5");
    expect(utcTimestamp("2026-03-01T01:00:00+05:30")).toBe("2026-02-28T19:30:00");
    expect(utcTimestamp("0099-06-01T00:00:00+14:00")).toBe("0099-05-31T10:00:00");
    expect(() => utcTimestamp("2026-02-30T00:00:00+01:00")).toThrow(/not a valid date-time/);
    expect(() => utcTimestamp("2026-01-01 00:00:00")).toThrow(/ISO 8601/);
  });
});

describe.each(databaseKinds)("live rendering = staged merge's conversions (%s)", (kind) => {
  let t: TestDb;
  afterAll(async () => t?.drop());

  it("COPY of the live text leaves exactly the rows the staged merge leaves", async () => {
    t = await createTestDb(kind);
    const sql = t.db.sql;
    const staged = renderBatch(parsed(), { kind: "staged", runId: "run-s", shop: "staged.myshopify.com" });
    const live = renderBatch(parsed(), { kind: "live", shop: "live.myshopify.com" });
    expect([live.orderCount, live.lineRowCount, live.malformedCount]).toEqual([4, 2, 0]);
    expect(live.customers).toBe("");
    await sql.query(
      `INSERT INTO "SyncRun" (id, shop, kind, status, "updatedAt") VALUES ('run-s', 'staged.myshopify.com', 'initial', 'running', now())`,
    );
    await sql.transaction(async (tx) => {
      await stageRows(tx, staged);
      expect(await mergeStaged(tx, "run-s", "staged.myshopify.com", { replaceLines: false, initial: true })).toBe("empty-shop");
    });
    await sql.transaction(async (tx) => {
      await beginDirectLoad(tx);
      await loadDirectRows(tx, live);
    });
    const want = await liveRows(sql, "staged.myshopify.com");
    const got = await liveRows(sql, "live.myshopify.com");
    expect(want.o).toHaveLength(4);
    expect(want.l).toHaveLength(2);
    expect(got).toEqual(want);
    const one = got.o[0] as { name: string; discountCodes: string[] };
    expect(one.name).toBe(awkward.replace("\u0000", ""));
    expect(one.discountCodes).toEqual([awkwardCode.replace("\u0000", ""), "B\\2", "", "NULL", '"', "\\"]);
    const two = (
      await sql.query<{ p: string; c: string; u: string }>(
        `SELECT "processedAt"::text p, "createdAt"::text c, "updatedAt"::text u FROM "Order" WHERE shop = 'live.myshopify.com' AND id = 2`,
      )
    )[0]!;
    expect(two).toEqual({ p: "2026-01-01 03:30:00", c: "2026-02-28 19:30:00.123", u: "2024-03-01 00:30:00" });
  });
});

// COPY FROM is refused into a table whose row-level security applies to the role (every shop table
// forces it, ADR 089): a non-superuser owner, or a shop-scoped transaction. The sync's writes then
// go through a temp table and an INSERT, which RLS checks like any other.
describe.skipIf(!TEST_DATABASE_URL)("the sync's COPYs under row-level security (postgres)", () => {
  let t: TestDb;
  afterAll(async () => t?.drop());

  it("a shop-scoped transaction stages and loads directly the same rows", async () => {
    t = await createTestDb("postgres");
    const scoped = withShop(t.db.sql, "scoped.myshopify.com");
    const live = renderBatch(parsed(), { kind: "live", shop: "scoped.myshopify.com" });
    // A bare COPY would be refused here ("COPY FROM not supported with row-level security"): the Sql's
    // copyFrom goes through a temp table instead (app/db/sql.ts; test/integration/row-level-security).
    await scoped.transaction(async (tx) => {
      await beginDirectLoad(tx);
      await loadDirectRows(tx, live);
    });
    await t.db.sql.query(
      `INSERT INTO "SyncRun" (id, shop, kind, status, "updatedAt") VALUES ('run-r', 'scoped.myshopify.com', 'initial', 'running', now())`,
    );
    const staged = renderBatch(parsed(), { kind: "staged", runId: "run-r", shop: "scoped.myshopify.com" });
    await scoped.transaction((tx) => stageRows(tx, staged));
    const n = await t.db.sql.query<{ o: number; l: number; so: number; sl: number }>(
      `SELECT (SELECT count(*)::int FROM "Order" WHERE shop = 'scoped.myshopify.com') o, (SELECT count(*)::int FROM "OrderLine" WHERE shop = 'scoped.myshopify.com') l,
        (SELECT count(*)::int FROM "SyncStageOrder" WHERE "runId" = 'run-r') so, (SELECT count(*)::int FROM "SyncStageOrderLine" WHERE "runId" = 'run-r') sl`,
    );
    expect(n[0]).toEqual({ o: 4, l: 2, so: 4, sl: 2 });
    // And the rows are the live rendering's, compared with the unscoped COPY of the same batch.
    await t.db.sql.transaction((tx) => loadDirectRows(tx, renderBatch(parsed(), { kind: "live", shop: "plain.myshopify.com" })));
    expect(await liveRows(t.db.sql, "scoped.myshopify.com")).toEqual(await liveRows(t.db.sql, "plain.myshopify.com"));
  });
});

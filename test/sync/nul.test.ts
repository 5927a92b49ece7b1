import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageCustomers, stageLines, stageOrders, mergeStaged } from "../../app/sync/store/staging";
import { applyOrderChange } from "../../app/sync/store/live";
import { parseBulkLine } from "../../app/shopify/bulk/records";
import { startSync } from "../../app/sync/start";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { compareAggregates, harness, latestRun, SHOP, type Harness } from "./support";

/**
 * Issue 16, finding 2: a `\u0000` in any text from Shopify made the bulk import fail five times
 * ("invalid byte sequence for encoding UTF8: 0x00"). PostgreSQL text cannot hold U+0000; the app
 * strips it at the JSONL parse boundary and again in the COPY writer.
 */
describe.each(databaseKinds)("a NUL byte in a shop's data (%s)", (kind) => {
  let t: TestDb;
  let h: Harness;
  beforeAll(async () => {
    t = await createTestDb(kind);
    h = await harness({ db: t.db, seed: { seed: 11, customers: 40, years: 1 } });
  });
  afterAll(async () => {
    await h?.close();
    await t?.drop();
  });

  it("an export with NUL in a customer name and a line title syncs and shows the stripped text", async () => {
    const s = h.emu.shop(SHOP);
    const cust = s.customerLegacyId(2);
    h.emu.updateCustomer(SHOP, cust, { firstName: "Ada\u0000", lastName: "Love\u0000lace" });
    // Product titles come from the emulator's catalog; every line of product 0 carries this one.
    const product = s.data.catalog[0]!;
    product.title = "Tea\u0000 cup";
    const order = h.emu.createOrder(SHOP, { customerId: cust, lineItems: [{ productIndex: 0 }] });
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    const run = await latestRun(t.db);
    expect({ status: run.status, errorMessage: run.errorMessage }).toEqual({ status: "completed", errorMessage: null });
    const c = (
      await t.db.sql.query<any>(`SELECT "firstName", "lastName" FROM "Customer" WHERE shop = $1 AND id = $2`, [SHOP, String(cust)])
    )[0];
    expect(c).toEqual({ firstName: "Ada", lastName: "Lovelace" });
    const titles = await t.db.sql.query<any>(`SELECT DISTINCT "productTitle" FROM "OrderLine" WHERE shop = $1 AND "orderId" = $2`, [
      SHOP,
      String(order.id),
    ]);
    expect(titles).toEqual([{ productTitle: "Tea cup" }]);
    expect((await compareAggregates(h.emu, t.db)).problems).toEqual([]);
  });

  it("COPY strips NUL from text it is handed directly (second line of defence)", async () => {
    const runId = "run-nul-copy";
    const shop = "nul-copy.myshopify.com";
    await t.db.sql.transaction(async (tx) => {
      await stageOrders(tx, runId, shop, [
        {
          kind: "order",
          id: "9001",
          customerId: "801",
          name: "#9\u0000001",
          processedAt: "2026-01-01T00:00:00Z",
          createdAt: "2026-01-01T00:00:00Z",
          updatedAt: "2026-01-01T00:00:00Z",
          cancelledAt: null,
          test: false,
          financialStatus: "PAID",
          currentTotal: "5.00",
          totalPrice: "5.00",
          currency: "USD",
          discountCodes: ["A\u0000B"],
        },
      ]);
      await stageLines(tx, runId, shop, [
        {
          kind: "line",
          id: "1",
          orderId: "9001",
          productId: null,
          variantId: null,
          productTitle: "x\u0000y",
          productType: null,
          vendor: "\u0000",
          quantity: 1,
          unitPrice: "5.00",
        },
      ]);
      await stageCustomers(tx, runId, shop, [
        {
          kind: "customer",
          id: "801",
          email: "n@example.com",
          firstName: "N\u0000",
          lastName: null,
          phone: null,
          tags: ["t\u0000"],
          emailConsent: null,
          smsConsent: null,
          updatedAt: null,
        },
      ]);
    });
    await t.db.sql.transaction((tx) => mergeStaged(tx, runId, shop, { replaceLines: false, initial: true }));
    const o = (await t.db.sql.query<any>(`SELECT name, "discountCodes" FROM "Order" WHERE shop = $1`, [shop]))[0];
    expect(o).toEqual({ name: "#9001", discountCodes: ["AB"] });
    const l = (await t.db.sql.query<any>(`SELECT "productTitle", vendor FROM "OrderLine" WHERE shop = $1`, [shop]))[0];
    expect(l).toEqual({ productTitle: "xy", vendor: "" });
    const c = (await t.db.sql.query<any>(`SELECT "firstName", tags FROM "Customer" WHERE shop = $1`, [shop]))[0];
    expect(c).toEqual({ firstName: "N", tags: ["t"] });
  });

  it("an order webhook with NUL in a title and a name is applied with the text stripped", async () => {
    const shop = "nul-live.myshopify.com";
    const at = "2026-10-01T10:00:00Z";
    const r = await applyOrderChange(t.db.sql, shop, {
      id: 7001,
      name: "#70\u000001",
      created_at: at,
      processed_at: at,
      updated_at: at,
      currency: "USD",
      total_price: "1.00",
      customer: { id: 71, first_name: "Zo\u0000ë" },
      line_items: [{ id: 1, title: "Mu\u0000g", quantity: 1, price: "1.00" }],
    });
    expect(r.outcome).toBe("applied");
    const row = (
      await t.db.sql.query<any>(
        `SELECT o.name, l."productTitle", c."firstName" FROM "Order" o JOIN "OrderLine" l ON l.shop = o.shop AND l."orderId" = o.id JOIN "Customer" c ON c.shop = o.shop AND c.id = o."customerId" WHERE o.shop = $1`,
        [shop],
      )
    )[0];
    expect(row).toEqual({ name: "#7001", productTitle: "Mug", firstName: "Zoë" });
  });
});

describe("the JSONL line parser", () => {
  it("drops \\u0000 escapes from every string of a line and keeps an escaped backslash before u0000", () => {
    const line = JSON.stringify({
      id: "gid://shopify/Customer/5",
      firstName: "A\u0000B",
      lastName: "back\\u0000slash",
      tags: ["x\u0000"],
      updatedAt: null,
    });
    const p = parseBulkLine(line);
    expect(p).toMatchObject({ ok: true, record: { firstName: "AB", lastName: "back\\u0000slash", tags: ["x"] } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../app/db/open";
import {
  customerIdsWithOrders,
  excludedOrderCounts,
  firstPurchaseSince,
  firstPurchasesInWindows,
  lapsedAndReturned,
  mostBoughtProductTitles,
  ordersOfCustomers,
  purchaseBatches,
  purchaseLinesBefore,
  purchaseTotalsInWindow,
  qualifyingPurchase,
} from "../../app/sync/store/purchases";
import { customerById, customersByIds, emailContact, markEmailUnsubscribed, setEmailMarketingState } from "../../app/sync/store/customers";

/**
 * The sync's read API (ADR 076) over a small hand-made history: every function applies the
 * qualifying-order rule (no test, no cancelled order) and keeps shops apart.
 */
const SHOP = "read-api.myshopify.com";
const OTHER = "other.myshopify.com";
let db: Database;

async function order(
  shop: string,
  id: number,
  customerId: number | null,
  processedAt: string,
  total: string,
  extra: { test?: boolean; cancelled?: boolean; codes?: string[] } = {},
) {
  await db.sql.query(
    `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "currentTotal", "totalPrice", currency, "discountCodes")
     VALUES ($1, $2, $3, $4::timestamp, $4::timestamp, $4::timestamp, $5, $6, $7, $7, 'EUR', $8)`,
    [shop, id, customerId, processedAt, extra.cancelled ? processedAt : null, extra.test ?? false, total, extra.codes ?? []],
  );
}
async function line(shop: string, orderId: number, id: number, productId: number | null, title: string, quantity: number) {
  await db.sql.query(
    `INSERT INTO "OrderLine" (shop, id, "orderId", "productId", "productTitle", quantity, "unitPrice") VALUES ($1, $2, $3, $4, $5, $6, 1)`,
    [shop, id, orderId, productId, title, quantity],
  );
}

beforeAll(async () => {
  db = openDatabase({});
  await db.ready();
  await db.sql.query(
    `INSERT INTO "Customer" (shop, id, email, "firstName", "emailConsent", tags, "orderCount", "totalSpent") VALUES ($1, 1, 'a@x.test', 'Ann', 'SUBSCRIBED', ARRAY['vip'], 2, 30), ($1, 2, 'b@x.test', 'Bob', 'SUBSCRIBED', '{}', 1, 5)`,
    [SHOP],
  );
  await db.sql.query(`INSERT INTO "Customer" (shop, id, email, "firstName") VALUES ($1, 1, 'other@x.test', 'Other')`, [OTHER]);
  await order(SHOP, 10, 1, "2025-01-10T10:00:00Z", "10.00");
  await order(SHOP, 11, 1, "2025-03-01T10:00:00Z", "20.00", { codes: ["BACK10"] });
  await order(SHOP, 12, 1, "2025-02-01T10:00:00Z", "99.00", { test: true });
  await order(SHOP, 13, 1, "2025-02-15T10:00:00Z", "50.00", { cancelled: true });
  await order(SHOP, 20, 2, "2024-01-01T10:00:00Z", "5.00");
  await order(SHOP, 30, null, "2025-01-01T10:00:00Z", "7.50");
  await order(OTHER, 10, 1, "2025-03-02T10:00:00Z", "1.00");
  await line(SHOP, 10, 100, 500, "Tea", 1);
  await line(SHOP, 10, 101, null, "Gift wrap", 1);
  await line(SHOP, 11, 102, 501, "Mug", 3);
  await line(SHOP, 12, 103, 502, "Test product", 9);
});
afterAll(async () => db?.close());

describe("sync read API: purchases", () => {
  it("lines of qualifying orders before a date, product lines only, oldest first", async () => {
    const lines = await purchaseLinesBefore(db.sql, SHOP, ["1"], new Date("2025-06-01T00:00:00Z"));
    expect(lines.map((l) => [l.orderId, l.productTitle, l.quantity])).toEqual([
      ["10", "Tea", 1],
      ["11", "Mug", 3],
    ]);
    expect(await purchaseLinesBefore(db.sql, SHOP, ["1"], new Date("2025-03-01T10:00:00Z"))).toHaveLength(1);
  });

  it("first purchase in windows skips test and cancelled orders and keeps the input order", async () => {
    const w = await firstPurchasesInWindows(db.sql, SHOP, [
      { customerId: "1", from: new Date("2025-01-20T00:00:00Z") },
      { customerId: "2", from: new Date("2024-06-01T00:00:00Z") },
      { customerId: "1", from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-01-10T10:00:00Z") },
      { customerId: "1", from: new Date("2025-01-01T00:00:00Z"), to: new Date("2025-01-10T10:00:01Z") },
    ]);
    expect(w.map((p) => p?.orderId ?? null)).toEqual(["11", null, null, "10"]);
    expect((await firstPurchaseSince(db.sql, SHOP, "1", new Date("2025-03-01T10:00:00Z")))?.processedAt.toISOString()).toBe(
      "2025-03-01T10:00:00.000Z",
    );
  });

  it("a qualifying purchase needs a customer and a real order", async () => {
    expect(await qualifyingPurchase(db.sql, SHOP, "11")).toEqual({ customerId: "1", processedAt: new Date("2025-03-01T10:00:00Z") });
    expect(await qualifyingPurchase(db.sql, SHOP, "12")).toBeNull();
    expect(await qualifyingPurchase(db.sql, SHOP, "30")).toBeNull();
  });

  it("orders of customers include test and cancelled ones (the caller decides)", async () => {
    const all = await ordersOfCustomers(db.sql, SHOP, ["1"]);
    expect(all.map((o) => o.id).sort()).toEqual(["10", "11", "12", "13"]);
    expect(all.find((o) => o.id === "13")?.cancelled).toBe(true);
    expect((await ordersOfCustomers(db.sql, SHOP, null)).length).toBe(5);
    expect(await customerIdsWithOrders(db.sql, SHOP)).toEqual(["1", "2"]);
  });

  it("most bought titles, totals in a window, lapsed baseline, exclusions", async () => {
    expect(await mostBoughtProductTitles(db.sql, SHOP, "1")).toEqual(["Mug", "Gift wrap", "Tea"]);
    const totals = await purchaseTotalsInWindow(db.sql, SHOP, ["1", "2"], {
      from: new Date("2025-01-01T00:00:00Z"),
      to: new Date("2025-12-31T00:00:00Z"),
      discountCode: "back10",
    });
    expect(totals.get("1")).toMatchObject({ revenue: "30.00", orders: 2, redemptions: 1, redeemedTotal: "20.00" });
    expect(totals.get("2")).toMatchObject({ revenue: "0", orders: 0, firstAt: null });
    expect(await lapsedAndReturned(db.sql, SHOP, new Date("2024-12-31T00:00:00Z"), new Date("2025-12-31T00:00:00Z"), 90)).toEqual({
      lapsed: 1,
      returned: 0,
    });
    expect(await excludedOrderCounts(db.sql, SHOP)).toEqual({ test: 1, cancelled: 1 });
  });

  it("purchase batches hold whole customers and then the guest orders", async () => {
    const batches: string[][] = [];
    for await (const b of purchaseBatches(db.sql, SHOP, 1)) batches.push(b.map((p) => `${p.customerId}:${p.value}`));
    expect(batches).toEqual([["1:10", "1:20"], ["2:5"], ["null:7.5"]]);
  });
});

describe("sync read API: customers", () => {
  it("reads customers by id within the shop", async () => {
    const m = await customersByIds(db.sql, SHOP, ["1", "2", "3"]);
    expect([...m.keys()].sort()).toEqual(["1", "2"]);
    expect(m.get("1")).toMatchObject({ firstName: "Ann", tags: ["vip"], orderCount: 2, totalSpent: "30.00" });
    expect((await customerById(db.sql, OTHER, "1"))?.email).toBe("other@x.test");
  });

  it("the consent write changes only the shop's customer, once", async () => {
    expect(await markEmailUnsubscribed(db.sql, SHOP, "2")).toBe(true);
    expect(await markEmailUnsubscribed(db.sql, SHOP, "2")).toBe(false);
    expect(await emailContact(db.sql, SHOP, "2")).toEqual({ email: "b@x.test", emailConsent: "UNSUBSCRIBED" });
    await setEmailMarketingState(db.sql, SHOP, "2", "SUBSCRIBED");
    expect((await emailContact(db.sql, SHOP, "2"))?.emailConsent).toBe("SUBSCRIBED");
    expect((await customerById(db.sql, OTHER, "1"))?.emailConsent).toBeNull();
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../app/db/open";
import { applyCustomerWebhook, applyOrderChange, applyOrderWebhook } from "../../app/sync/store/live";
import { isAppError } from "../../app/lib/errors";
import { startSync } from "../../app/sync/start";
import { compareAggregates, counts, harness, latestRun, SHOP, type Harness } from "./support";

const S = "live.myshopify.com";

function order(over: Record<string, unknown> = {}) {
  return {
    id: 5001,
    name: "#1001",
    created_at: "2026-10-01T10:00:00-05:00",
    processed_at: "2026-10-01T10:00:00-05:00",
    updated_at: "2026-10-01T10:00:00-05:00",
    cancelled_at: null,
    test: false,
    financial_status: "paid",
    currency: "USD",
    total_price: "100.00",
    current_total_price: "100.00",
    discount_codes: [{ code: "WELCOME" }],
    customer: { id: 77, email: "a@example.com" },
    line_items: [{ id: 1, product_id: 10, variant_id: 11, title: "Mug", vendor: "Acme", quantity: 2, price: "50.00" }],
    ...over,
  };
}

async function customer(db: Database, id = "77") {
  return (
    await db.sql.query<any>(
      `SELECT "orderCount", "totalSpent"::text AS spent, "lastOrderAt", email, tags, "emailConsent" FROM "Customer" WHERE shop = $1 AND id = $2`,
      [S, id],
    )
  )[0];
}

describe("live updates from webhooks", () => {
  let db: Database;
  beforeAll(async () => {
    db = openDatabase({});
    await db.ready();
  });
  afterAll(async () => db.close());

  it("orders/create: stores the order and its lines, converts the offset to UTC, aggregates at once", async () => {
    expect(await applyOrderWebhook(db.sql, S, order())).toBe("applied");
    const c = await customer(db);
    expect(c).toMatchObject({ orderCount: 1, spent: "100.00" });
    expect(c.lastOrderAt.toISOString()).toBe("2026-10-01T15:00:00.000Z");
    const o = (await db.sql.query<any>(`SELECT "discountCodes", "financialStatus" FROM "Order" WHERE shop = $1`, [S]))[0];
    expect(o).toEqual({ discountCodes: ["WELCOME"], financialStatus: "PAID" });
  });

  it("says which customers an applied change touched, including the one an order moved away from", async () => {
    const o = order({ id: 5900, customer: { id: 78, email: "b@example.com" } });
    expect(await applyOrderChange(db.sql, S, o)).toEqual({
      outcome: "applied",
      orderId: "5900",
      customerId: "78",
      previousCustomerId: null,
    });
    const moved = order({ id: 5900, updated_at: "2026-10-03T10:00:00Z", customer: { id: 79, email: "c@example.com" } });
    expect(await applyOrderChange(db.sql, S, moved)).toEqual({
      outcome: "applied",
      orderId: "5900",
      customerId: "79",
      previousCustomerId: "78",
    });
    expect(await customer(db, "78")).toMatchObject({ orderCount: 0 });
    expect((await applyOrderChange(db.sql, S, o)).outcome).toBe("stale");
    await db.sql.query(`DELETE FROM "Order" WHERE shop = $1 AND id = 5900`, [S]);
    await db.sql.query(`DELETE FROM "Customer" WHERE shop = $1 AND id IN (78, 79)`, [S]);
  });

  it("duplicate delivery is a no-op; an older version delivered late never overwrites a newer one", async () => {
    const refunded = order({ updated_at: "2026-10-02T10:00:00Z", current_total_price: "60.00", financial_status: "partially_refunded" });
    expect(await applyOrderWebhook(db.sql, S, refunded)).toBe("applied");
    expect(await applyOrderWebhook(db.sql, S, refunded)).toBe("applied"); // same version again: idempotent
    expect(await applyOrderWebhook(db.sql, S, order())).toBe("stale"); // v1 arriving after v2
    expect(await customer(db)).toMatchObject({ orderCount: 1, spent: "60.00" });
  });

  it("cancellation and the test flag take the order out of the aggregates; line edits replace lines", async () => {
    await applyOrderWebhook(
      db.sql,
      S,
      order({ id: 5002, name: "#1002", updated_at: "2026-10-03T00:00:00Z", processed_at: "2026-10-03T00:00:00Z", line_items: [] }),
    );
    expect(await customer(db)).toMatchObject({ orderCount: 2, spent: "160.00" });
    await applyOrderWebhook(
      db.sql,
      S,
      order({ id: 5002, updated_at: "2026-10-04T00:00:00Z", processed_at: "2026-10-03T00:00:00Z", cancelled_at: "2026-10-04T00:00:00Z" }),
    );
    expect(await customer(db)).toMatchObject({ orderCount: 1, spent: "60.00" });
    await applyOrderWebhook(
      db.sql,
      S,
      order({
        updated_at: "2026-10-05T00:00:00Z",
        current_total_price: "60.00",
        test: true,
        line_items: [{ id: 2, product_id: 10, variant_id: 11, title: "Mug", vendor: "Acme", quantity: 1, price: "60.00" }],
      }),
    );
    const c = await customer(db);
    expect(c).toMatchObject({ orderCount: 0, spent: "0.00" });
    expect(c.lastOrderAt).toBeNull();
    const lines = await db.sql.query<any>(`SELECT id::text FROM "OrderLine" WHERE shop = $1 AND "orderId" = 5001`, [S]);
    expect(lines).toEqual([{ id: "2" }]);
  });

  it("customers/update: newest wins, tags and consent parsed", async () => {
    const p = {
      id: 77,
      email: "new@example.com",
      first_name: "A",
      last_name: "B",
      updated_at: "2026-10-06T00:00:00Z",
      tags: "vip, winback",
      email_marketing_consent: { state: "subscribed" },
    };
    expect(await applyCustomerWebhook(db.sql, S, p)).toBe("applied");
    expect(await applyCustomerWebhook(db.sql, S, { ...p, email: "old@example.com", updated_at: "2026-10-05T00:00:00Z" })).toBe("stale");
    expect(await customer(db)).toMatchObject({ email: "new@example.com", tags: ["vip", "winback"], emailConsent: "SUBSCRIBED" });
  });

  it("phone: a customer first seen through an order takes the order's phone; customers/update sets and clears it, newest wins", async () => {
    const phone = async (id: string) =>
      (await db.sql.query<any>(`SELECT phone FROM "Customer" WHERE shop = $1 AND id = $2`, [S, id]))[0]?.phone;
    await applyOrderWebhook(
      db.sql,
      S,
      order({ id: 5100, customer: { id: 88, email: "p@example.com", phone: "+14155550100" }, line_items: [] }),
    );
    expect(await phone("88")).toBe("+14155550100");
    // the stub is only a stub: a later order does not overwrite what the customer record says
    await applyOrderWebhook(
      db.sql,
      S,
      order({ id: 5101, customer: { id: 88, email: "p@example.com", phone: "+10000000000" }, line_items: [] }),
    );
    expect(await phone("88")).toBe("+14155550100");
    const p = { id: 88, email: "p@example.com", phone: "+14155550199", updated_at: "2026-10-06T00:00:00Z", tags: "" };
    expect(await applyCustomerWebhook(db.sql, S, p)).toBe("applied");
    expect(await phone("88")).toBe("+14155550199");
    expect(await applyCustomerWebhook(db.sql, S, { ...p, phone: "+14155550111", updated_at: "2026-10-05T00:00:00Z" })).toBe("stale");
    expect(await phone("88")).toBe("+14155550199");
    expect(await applyCustomerWebhook(db.sql, S, { ...p, phone: null, updated_at: "2026-10-07T00:00:00Z" })).toBe("applied");
    expect(await phone("88")).toBeNull();
    await db.sql.query(`DELETE FROM "Order" WHERE shop = $1 AND id IN (5100, 5101)`, [S]);
    await db.sql.query(`DELETE FROM "Customer" WHERE shop = $1 AND id = 88`, [S]);
  });

  it("malformed payloads are INVALID_INPUT (the dispatcher acknowledges them)", async () => {
    const e = await applyOrderWebhook(db.sql, S, { id: "x" }).catch((x) => x);
    expect(isAppError(e, "INVALID_INPUT")).toBe(true);
  });
});

describe("live updates + delta sync against the emulator", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
  });
  afterAll(async () => h?.close());

  it("emulator webhooks (create, refund, cancel, customer update) keep aggregates exact, in any order", async () => {
    const s = h.emu.shop(SHOP);
    const cust = s.customerLegacyId(3);
    const created = h.emu.createOrder(SHOP, { customerId: cust, totalCents: 12345 });
    const refunded = h.emu.updateOrder(SHOP, created.id, { refundCents: 2345 });
    const cancelledOther = h.emu.updateOrder(SHOP, s.orderLegacyId(0), { cancelled: true });
    // delivered out of order, with a duplicate
    for (const p of [refunded, created, cancelledOther, refunded]) await applyOrderWebhook(h.db.sql, SHOP, p);
    await applyCustomerWebhook(h.db.sql, SHOP, h.emu.updateCustomer(SHOP, cust, { tags: ["vip"], phone: "+15550001111" }));
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
    const row = (await h.db.sql.query<any>(`SELECT tags, phone FROM "Customer" WHERE shop = $1 AND id = $2`, [SHOP, String(cust)]))[0];
    expect(row).toEqual({ tags: ["vip"], phone: "+15550001111" });
  });

  it("missed webhooks are healed by the delta sync (updated_at > watermark)", async () => {
    const s = h.emu.shop(SHOP);
    // Changes whose webhooks never arrive:
    h.emu.createOrder(SHOP, { customerId: s.customerLegacyId(5), totalCents: 5000 });
    h.emu.updateOrder(SHOP, s.orderLegacyId(2), { refundCents: 100 });
    h.emu.updateOrder(SHOP, s.orderLegacyId(3), { test: true });
    expect((await compareAggregates(h.emu, h.db)).problems.length).toBeGreaterThan(0);
    const r = await startSync(h.deps, { shop: SHOP, kind: "delta" });
    expect(r.kind).toBe("delta");
    const q = h.emu.bulk.ops
      .filter((o) => o.shop === SHOP)
      .slice(-2)
      .map((o) => o.query);
    expect(q.every((x) => /updated_at:>'/.test(x))).toBe(true);
    await h.drain();
    expect(await latestRun(h.db)).toMatchObject({ status: "completed", kind: "delta" });
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
    expect((await counts(h.db)).o).toBe(s.orderCount());
  });
});

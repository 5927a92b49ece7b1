import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrderBatcher } from "../../app/sync/webhooks";
import { applyOrderChanges, parseOrderWebhook } from "../../app/sync/store/live";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

/**
 * Order webhooks are written in batches under load (app/sync/webhooks.ts createOrderBatcher,
 * docs/decisions/087-scale-benchmark.md): many deliveries, one transaction. Each must still get the
 * outcome it would have had alone, the customers' aggregates must be exact, and a bad order must
 * fail its own delivery only.
 */
const S = "batch.myshopify.com";

function order(id: number | string, customerId: number | null, cents: number, hour: number, extra: Record<string, unknown> = {}) {
  const at = new Date(Date.UTC(2026, 9, 1) + hour * 3600_000).toISOString();
  return {
    id,
    name: `#${id}`,
    created_at: at,
    processed_at: at,
    updated_at: at,
    cancelled_at: null,
    test: false,
    financial_status: "paid",
    currency: "USD",
    total_price: (cents / 100).toFixed(2),
    current_total_price: (cents / 100).toFixed(2),
    discount_codes: [{ code: `C${id}` }],
    customer: customerId === null ? null : { id: customerId, email: `c${customerId}@example.com` },
    line_items: [
      { id: Number(id) * 10 + 1, product_id: 1, variant_id: 2, title: "Mug", vendor: "Acme", quantity: 1, price: (cents / 100).toFixed(2) },
    ],
    ...extra,
  };
}

const agg = async (t: TestDb, id: number) =>
  (
    await t.db.sql.query<{ n: number; s: string }>(
      `SELECT "orderCount" AS n, "totalSpent"::text AS s FROM "Customer" WHERE shop = $1 AND id = $2`,
      [S, id],
    )
  )[0];

describe.each(databaseKinds)("order webhooks written in batches (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it("300 simultaneous orders of 7 customers: every one applied, aggregates exact", async () => {
    const batcher = createOrderBatcher(50);
    const payloads = Array.from({ length: 300 }, (_, i) => order(1000 + i, 700 + (i % 7), 100 + i, i));
    const results = await Promise.all(payloads.map((p) => batcher.apply(t.db.sql, S, parseOrderWebhook(p))));
    expect(results.every((r) => r.outcome === "applied")).toBe(true);
    expect(results.map((r) => r.orderId)).toEqual(payloads.map((p) => String(p.id)));
    for (let c = 0; c < 7; c++) {
      const mine = payloads.filter((_, i) => i % 7 === c);
      const a = (await agg(t, 700 + c))!;
      expect(a.n).toBe(mine.length);
      expect(Number(a.s)).toBeCloseTo(
        mine.reduce((s, p) => s + Number(p.total_price), 0),
        2,
      );
    }
    const lines = await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "OrderLine" WHERE shop = $1 AND "orderId" >= 1000`, [
      S,
    ]);
    expect(lines[0]!.n).toBe(300);
    const codes = await t.db.sql.query<{ d: string[] }>(`SELECT "discountCodes" AS d FROM "Order" WHERE shop = $1 AND id = 1005`, [S]);
    expect(codes[0]!.d).toEqual(["C1005"]);
  });

  it("in one batch: a stale version is stale, a newer one moves the order to another customer and both customers are exact", async () => {
    await applyOrderChanges(t.db.sql, S, [parseOrderWebhook(order(5000, 801, 1000, 10)), parseOrderWebhook(order(5001, 801, 500, 11))]);
    const results = await applyOrderChanges(t.db.sql, S, [
      // older than the stored version: changes nothing
      parseOrderWebhook(order(5000, 802, 9999, 5)),
      // newer: moves 5001 from 801 to 802, with new lines
      parseOrderWebhook({
        ...order(5001, 802, 700, 12),
        line_items: [{ id: 99, product_id: 1, variant_id: 2, title: "Cup", vendor: "Acme", quantity: 2, price: "3.50" }],
      }),
      // a guest order
      parseOrderWebhook(order(5002, null, 300, 13)),
    ]);
    expect(results.map((r) => r.outcome)).toEqual(["stale", "applied", "applied"]);
    expect(results[1]).toMatchObject({ customerId: "802", previousCustomerId: "801" });
    expect(await agg(t, 801)).toEqual({ n: 1, s: "10.00" });
    expect(await agg(t, 802)).toEqual({ n: 1, s: "7.00" });
    const lines = await t.db.sql.query<{ id: string }>(`SELECT id::text FROM "OrderLine" WHERE shop = $1 AND "orderId" = 5001`, [S]);
    expect(lines.map((l) => l.id)).toEqual(["99"]);
  });

  it("two versions of one order in flight at once go in separate batches, the newer wins", async () => {
    const batcher = createOrderBatcher();
    const [a, b] = await Promise.all([
      batcher.apply(t.db.sql, S, parseOrderWebhook(order(6000, 901, 100, 20))),
      batcher.apply(t.db.sql, S, parseOrderWebhook(order(6000, 901, 250, 21))),
    ]);
    expect([a.outcome, b.outcome]).toEqual(["applied", "applied"]);
    expect(await agg(t, 901)).toEqual({ n: 1, s: "2.50" });
  });

  it("an order no column can store fails its own delivery; the rest of its batch is applied", async () => {
    const batcher = createOrderBatcher();
    const bad = parseOrderWebhook(
      order("99999999999999999999", 950, 100, 30, {
        admin_graphql_api_id: "gid://shopify/Order/99999999999999999999",
        line_items: [{ id: 1, product_id: 1, variant_id: 2, title: "Mug", vendor: "Acme", quantity: 1, price: "1.00" }],
      }),
    );
    const settled = await Promise.allSettled([
      batcher.apply(t.db.sql, S, parseOrderWebhook(order(7000, 950, 100, 31))),
      batcher.apply(t.db.sql, S, bad),
      batcher.apply(t.db.sql, S, parseOrderWebhook(order(7001, 950, 200, 32))),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(await agg(t, 950)).toEqual({ n: 2, s: "3.00" });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOrderChange } from "../../app/sync/store/live";
import { mergeStaged, stageOrders } from "../../app/sync/store/staging";
import type { OrderRecord } from "../../app/shopify/bulk/records";
import { createTestDb, databaseKinds, TEST_DATABASE_URL, type TestDb } from "../support/db";

/**
 * Simultaneous order webhooks for one customer (issue 16, finding 1): under READ COMMITTED each
 * aggregate refresh counts what was committed when its statement began, so without a lock on the
 * customer two writers each missed the other's order (200 at once: 194 counted for 201 orders).
 */
const S = "race.myshopify.com";

function order(id: number, customerId: number, cents: number, day: number) {
  const at = new Date(Date.UTC(2026, 9, 1) + day * 3600_000).toISOString();
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
    discount_codes: [],
    customer: { id: customerId, email: `c${customerId}@example.com` },
    line_items: [{ id: id * 10, product_id: 1, variant_id: 2, title: "Mug", vendor: "Acme", quantity: 1, price: (cents / 100).toFixed(2) }],
  };
}

async function aggregates(t: TestDb, ids: number[]) {
  const rows = await t.db.sql.query<{ id: string; orderCount: number; spent: string; last: Date | null }>(
    `SELECT id::text, "orderCount", "totalSpent"::text AS spent, "lastOrderAt" AS last FROM "Customer" WHERE shop = $1 AND id = ANY($2::bigint[])`,
    [S, ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

describe.each(databaseKinds)("concurrent order writes for one customer (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it("200 simultaneous orders (plus one already stored) of one customer leave exact aggregates", async () => {
    await applyOrderChange(t.db.sql, S, order(1, 500, 1000, 0));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => applyOrderChange(t.db.sql, S, order(100 + i, 500, 100 + i, i + 1))),
    );
    expect(results.every((r) => r.outcome === "applied")).toBe(true);
    const c = (await aggregates(t, [500])).get("500")!;
    const stored = await t.db.sql.query<{ n: number; s: string }>(
      `SELECT count(*)::int n, sum("currentTotal")::text s FROM "Order" WHERE shop = $1 AND "customerId" = 500`,
      [S],
    );
    expect(stored[0]!.n).toBe(201);
    const wantCents = 1000 + Array.from({ length: 200 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
    expect({ count: c.orderCount, cents: Math.round(Number(c.spent) * 100) }).toEqual({ count: 201, cents: wantCents });
    expect(c.last?.toISOString()).toBe(new Date(Date.UTC(2026, 9, 1) + 200 * 3600_000).toISOString());
  });

  it("pairs of simultaneous orders for 30 customers: every customer exact", async () => {
    const customers = Array.from({ length: 30 }, (_, i) => 1000 + i);
    await Promise.all(
      customers.flatMap((c, i) => [
        applyOrderChange(t.db.sql, S, order(10_000 + 2 * i, c, 2500, 1)),
        applyOrderChange(t.db.sql, S, order(10_001 + 2 * i, c, 1500, 2)),
      ]),
    );
    const got = await aggregates(t, customers);
    const wrong = customers.filter((c) => got.get(String(c))?.orderCount !== 2 || got.get(String(c))?.spent !== "40.00");
    expect(wrong).toEqual([]);
  });

  it("orders moving between two customers while new orders arrive for both: both exact, no deadlock", async () => {
    // customers 2000 and 2001 start with 10 orders each; 10 of 2000's move to 2001 and back while 20 new ones arrive
    const base = Array.from({ length: 10 }, (_, i) => [order(20_000 + i, 2000, 1000, 0), order(20_100 + i, 2001, 1000, 0)]).flat();
    for (const o of base) await applyOrderChange(t.db.sql, S, o);
    const moves = Array.from({ length: 10 }, (_, i) => ({ ...order(20_000 + i, 2001, 1000, 0), updated_at: "2026-10-05T00:00:00.000Z" }));
    const fresh = Array.from({ length: 20 }, (_, i) => order(20_200 + i, 2000 + (i % 2), 500, 3));
    const r = await Promise.all([...moves, ...fresh].map((o) => applyOrderChange(t.db.sql, S, o)));
    expect(r.every((x) => x.outcome === "applied")).toBe(true);
    const got = await aggregates(t, [2000, 2001]);
    expect(got.get("2000")).toMatchObject({ orderCount: 10, spent: "50.00" });
    expect(got.get("2001")).toMatchObject({ orderCount: 30, spent: "250.00" });
  });
});

/** The sync's merge and a webhook for the same customer at the same time (PostgreSQL: a pool of connections). */
describe.skipIf(!TEST_DATABASE_URL)("a delta merge racing an order webhook (postgres)", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("postgres");
  });
  afterAll(async () => t?.drop());

  async function waitForLockWait() {
    // A condition, not a sleep: some backend of this database is waiting for a lock.
    for (;;) {
      const r = await t.db.sql.query<{ n: number }>(
        `SELECT count(*)::int n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (r[0]!.n > 0) return;
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  it("the merge waits for the webhook's customer lock and then counts its order", async () => {
    await applyOrderChange(t.db.sql, S, order(30_000, 3000, 1000, 0));
    const staged: OrderRecord = {
      kind: "order",
      id: "30001",
      customerId: "3000",
      name: "#30001",
      processedAt: "2026-10-02T00:00:00Z",
      createdAt: "2026-10-02T00:00:00Z",
      updatedAt: "2026-10-02T00:00:00Z",
      cancelledAt: null,
      test: false,
      financialStatus: "PAID",
      currentTotal: "20.00",
      totalPrice: "20.00",
      currency: "USD",
      discountCodes: [],
    };
    await t.db.sql.transaction((tx) => stageOrders(tx, "run-race", S, [staged]));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let applied!: () => void;
    const inside = new Promise<void>((r) => (applied = r));
    // The webhook's transaction stays open (written, aggregates refreshed, not committed) until released.
    const webhook = t.db.sql.transaction(async (tx) => {
      await applyOrderChange(tx, S, order(30_002, 3000, 4000, 2));
      applied();
      await gate;
    });
    await inside;
    const merge = t.db.sql.transaction((tx) => mergeStaged(tx, "run-race", S, { replaceLines: false, initial: false }));
    await waitForLockWait();
    release();
    await webhook;
    await merge;
    const c = (await aggregates(t, [3000])).get("3000")!;
    expect({ count: c.orderCount, spent: c.spent }).toEqual({ count: 3, spent: "70.00" });
  });
});

describe.each(databaseKinds)("a delta merge recomputes every customer it changes (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it("an order the delta moved to another customer leaves the customer it left exact too", async () => {
    await applyOrderChange(t.db.sql, S, order(40_000, 4000, 1000, 0));
    await applyOrderChange(t.db.sql, S, order(40_001, 4000, 3000, 1));
    const moved: OrderRecord = {
      kind: "order",
      id: "40001",
      customerId: "4001",
      name: "#40001",
      processedAt: "2026-10-01T01:00:00Z",
      createdAt: "2026-10-01T01:00:00Z",
      updatedAt: "2026-10-03T00:00:00Z",
      cancelledAt: null,
      test: false,
      financialStatus: "PAID",
      currentTotal: "30.00",
      totalPrice: "30.00",
      currency: "USD",
      discountCodes: [],
    };
    await t.db.sql.transaction((tx) => stageOrders(tx, "run-move", S, [moved]));
    await t.db.sql.transaction((tx) => mergeStaged(tx, "run-move", S, { replaceLines: false, initial: false }));
    const got = await aggregates(t, [4000, 4001]);
    expect(got.get("4000")).toMatchObject({ orderCount: 1, spent: "10.00" });
    expect(got.get("4001")).toMatchObject({ orderCount: 1, spent: "30.00" });
  });
});

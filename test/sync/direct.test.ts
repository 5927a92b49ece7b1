import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Sql } from "../../app/db/sql";
import type { SyncDeps } from "../../app/sync/context";
import { ingestBulkOperation } from "../../app/sync/ingest";
import { applyOrderWebhook } from "../../app/sync/store/live";
import { startSync } from "../../app/sync/start";
import { createTestDb, TEST_DATABASE_URL, type TestDb } from "../support/db";
import { compareAggregates, counts, expectedLineCount, harness, latestRun, SHOP, type Harness } from "./support";

// The direct load of ADR 051 exists on PostgreSQL only (PGlite has one connection): these tests need
// TEST_DATABASE_URL (CI sets it; `.ci/run` starts PostgreSQL).

async function ops(sql: Sql) {
  return sql.query<{ id: string; resource: string }>(`SELECT id, resource FROM "SyncBulkOperation" ORDER BY resource`);
}

/** Starts an initial sync and ingests the customers export first, so the orders export is the last one. */
async function startWithCustomersIngested(h: Harness) {
  await startSync(h.deps, { shop: SHOP });
  await h.emu.bulk.idle();
  const all = await ops(h.db.sql);
  await ingestBulkOperation(h.deps, all.find((o) => o.resource === "customers")!.id);
  return all.find((o) => o.resource === "orders")!.id;
}

async function tables(sql: Sql) {
  const o = await sql.query(
    `SELECT id::text, "customerId"::text, name, "processedAt", "updatedAt", "cancelledAt", test, "currentTotal"::text, "discountCodes" FROM "Order" WHERE shop = $1 ORDER BY id`,
    [SHOP],
  );
  const l = await sql.query(
    `SELECT id::text, "orderId"::text, "productTitle", quantity, "unitPrice"::text FROM "OrderLine" WHERE shop = $1 ORDER BY id`,
    [SHOP],
  );
  const c = await sql.query(
    `SELECT id::text, email, phone, tags, "orderCount", "totalSpent"::text, "firstOrderAt", "lastOrderAt" FROM "Customer" WHERE shop = $1 ORDER BY id`,
    [SHOP],
  );
  return { o, l, c };
}

describe.skipIf(!TEST_DATABASE_URL)("direct load of a first sync on PostgreSQL", () => {
  const dbs: TestDb[] = [];
  const open: Harness[] = [];
  // One clock for every emulator, so two of them generate the same shop.
  const clock = new Date();
  async function make(deps: Partial<SyncDeps> = {}) {
    const t = await createTestDb("postgres");
    dbs.push(t);
    const h = await harness({ db: t.db, deps, emulator: { now: () => clock } });
    open.push(h);
    return h;
  }
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });
  afterAll(async () => {
    for (const t of dbs) await t.drop();
  });

  it("loads straight into the live tables (nothing staged, progress shown) and leaves the same tables as the staged path", async () => {
    const stagedDuring: number[] = [];
    const seen: number[] = [];
    let loadingOrders = false;
    const direct = await make({
      onCheckpoint: async () => {
        if (!loadingOrders) return; // the customers export (staged) checkpoints too
        const look = async () =>
          (
            await direct.db.sql.query<{ staged: number; applied: number; visible: number }>(
              `SELECT (SELECT count(*)::int FROM "SyncStageOrder") staged, (SELECT max("linesApplied") FROM "SyncBulkOperation") applied,
                    (SELECT count(*)::int FROM "Order" WHERE shop = $1) visible`,
              [SHOP],
            )
          )[0]!;
        // Progress is written on another connection without waiting: give it a moment to land.
        let r = await look();
        for (let i = 0; i < 100 && r.applied <= (seen.at(-1) ?? 0); i++) {
          await new Promise((res) => setTimeout(res, 10));
          r = await look();
        }
        stagedDuring.push(r.staged, r.visible);
        seen.push(r.applied);
      },
    });
    const ordersOp = await startWithCustomersIngested(direct);
    loadingOrders = true;
    expect(await ingestBulkOperation(direct.deps, ordersOp)).toBe("ingested");
    // every batch went to the live tables inside the open transaction: nothing staged, nothing visible
    expect(seen.length).toBeGreaterThanOrEqual(2); // several batches of the orders export
    expect(stagedDuring.every((n) => n === 0)).toBe(true);
    // the status card's progress moved while nothing was committed
    expect(seen.every((v, i) => v > 0 && (i === 0 || v >= seen[i - 1]!))).toBe(true);
    expect(seen.at(-1)).toBeGreaterThan(seen[0]!);

    const run = await latestRun(direct.db);
    const shop = direct.emu.shop(SHOP);
    expect(run).toMatchObject({
      status: "completed",
      partial: false,
      ordersSynced: shop.orderCount(),
      customersSynced: shop.customerCount(),
    });
    const c = await counts(direct.db);
    expect([c.o, c.l, c.c, c.so, c.sl, c.sc]).toEqual([shop.orderCount(), expectedLineCount(direct.emu), shop.customerCount(), 0, 0, 0]);
    expect((await compareAggregates(direct.emu, direct.db)).problems).toEqual([]);
    expect((await direct.db.sql.query(`SELECT 1 FROM "SyncState" WHERE shop = $1`, [SHOP])).length).toBe(1);

    const staged = await make({ directLoad: false });
    await ingestBulkOperation(staged.deps, await startWithCustomersIngested(staged));
    expect(await tables(direct.db.sql)).toEqual(await tables(staged.db.sql));
  });

  it("a webhook that writes an order of the export meanwhile ends the direct load; the staged path completes and the newer version wins", async () => {
    let fired = false;
    const h: Harness = await make({
      onCheckpoint: async () => {
        if (fired) return;
        fired = true;
        // the export's last order, changed in Shopify after the export: its webhook lands now
        const s = h.emu.shop(SHOP);
        const last = s.data.orders.length - 1;
        await applyOrderWebhook(h.db.sql, SHOP, { ...s.orderPayload(last), updated_at: "2099-01-01T00:00:00Z", note: "webhook" } as never);
      },
    });
    const ordersOp = await startWithCustomersIngested(h);
    expect(await ingestBulkOperation(h.deps, ordersOp)).toBe("ingested");
    const run = await latestRun(h.db);
    const s = h.emu.shop(SHOP);
    expect(run).toMatchObject({ status: "completed", ordersSynced: s.orderCount() });
    const c = await counts(h.db);
    expect([c.o, c.l, c.so, c.sl, c.sc]).toEqual([s.orderCount(), expectedLineCount(h.emu), 0, 0, 0]);
    const lastId = s.orderLegacyId(s.data.orders.length - 1);
    const kept = await h.db.sql.query<{ updatedAt: Date }>(`SELECT "updatedAt" FROM "Order" WHERE shop = $1 AND id = $2`, [SHOP, lastId]);
    expect(kept[0]!.updatedAt.toISOString()).toBe("2099-01-01T00:00:00.000Z");
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
    expect(
      (await h.db.sql.query<{ linesApplied: number }>(`SELECT "linesApplied" FROM "SyncBulkOperation" WHERE id = $1`, [ordersOp]))[0]!
        .linesApplied,
    ).toBe(0);
  });

  it("a crash mid-load leaves nothing visible; the retry takes the staged path and completes exactly", async () => {
    let batches = 0;
    const h = await make({
      onCheckpoint: () => {
        if (++batches === 3) throw new Error("process killed");
      },
    });
    const ordersOp = await startWithCustomersIngested(h);
    await expect(ingestBulkOperation(h.deps, ordersOp)).rejects.toThrow("process killed");
    const mid = await counts(h.db);
    expect([mid.o, mid.l, mid.c, mid.so]).toEqual([0, 0, 0, 0]); // customers are staged, not visible
    expect((await latestRun(h.db)).status).toBe("running");

    batches = -1_000; // no more crashes
    expect(await ingestBulkOperation(h.deps, ordersOp)).toBe("ingested");
    const s = h.emu.shop(SHOP);
    const c = await counts(h.db);
    expect([c.o, c.l, c.c, c.so, c.sl, c.sc]).toEqual([s.orderCount(), expectedLineCount(h.emu), s.customerCount(), 0, 0, 0]);
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
  });
});

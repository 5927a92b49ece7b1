import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSync } from "../../app/sync/start";
import { compareAggregates, counts, expectedLineCount, harness, latestRun, SHOP, type Harness } from "./support";

describe("initial sync against the emulator", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => h?.close());

  it("runs both bulk queries concurrently, ingests (ungrouped JSONL), merges and aggregates exactly", async () => {
    const r = await startSync(h.deps, { shop: SHOP });
    expect(r).toMatchObject({ started: true, kind: "initial" });
    const ops = h.emu.bulk.ops.filter((o) => o.shop === SHOP);
    expect(ops).toHaveLength(2);
    expect(ops.every((o) => !o.groupObjects)).toBe(true);
    // a second start while running joins the running sync
    expect(await startSync(h.deps, { shop: SHOP })).toMatchObject({ runId: r.runId, started: false });
    await h.drain();
    const run = await latestRun(h.db);
    expect(run).toMatchObject({ id: r.runId, status: "completed", partial: false, errorCode: null });
    const c = await counts(h.db);
    const shop = h.emu.shop(SHOP);
    expect(c.o).toBe(shop.orderCount());
    expect(c.c).toBe(shop.customerCount());
    expect(c.l).toBe(expectedLineCount(h.emu));
    expect([c.so, c.sl, c.sc]).toEqual([0, 0, 0]);
    expect(run.ordersSynced).toBe(shop.orderCount());
    const cmp = await compareAggregates(h.emu, h.db);
    expect(cmp.problems).toEqual([]);
    expect(cmp.customers).toBeGreaterThan(50);
    // phone numbers come through the customers export (defaultPhoneNumber.phoneNumber); the
    // emulator gives some customers one and others none, so both cases are covered
    const want = new Map<string, string | null>();
    for (let i = 0; i < shop.data.customers.length; i++) {
      if (!shop.data.customers.deleted.has(i)) want.set(String(shop.customerLegacyId(i)), shop.customerView(i).phone);
    }
    const phones = await h.db.sql.query<{ id: string; phone: string | null }>(`SELECT id::text, phone FROM "Customer" WHERE shop = $1`, [
      SHOP,
    ]);
    expect(new Map(phones.map((p) => [p.id, p.phone]))).toEqual(want);
    expect(phones.some((p) => p.phone) && phones.some((p) => !p.phone)).toBe(true);
    const st = await h.db.sql.query<any>(`SELECT * FROM "SyncState" WHERE shop = $1`, [SHOP]);
    expect(st[0].lastRunId).toBe(r.runId);
    // the healing delta is scheduled ~6h out
    expect(h.sent.some((s) => s.queue === "sync.delta")).toBe(false); // drained into the delta list
  });

  it("a second full sync is idempotent (same counts, same aggregates)", async () => {
    const before = await counts(h.db);
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    expect(await counts(h.db)).toEqual(before);
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
  });
});

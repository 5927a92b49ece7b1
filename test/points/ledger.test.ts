import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyEvent, defaultPointsSettings, emptyPointsState, type OrderEvent, type PointsState } from "../../app/domain/points";
import { applyOrderWebhook } from "../../app/sync/store/live";
import { startSync } from "../../app/sync/start";
import { applyOrderChange, loadLedgerRows, rebuildShopLedger } from "../../app/points/store";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { harness, SHOP, type Harness } from "../sync/support";
import { dbLedger, domainLedger, emulatorOrderEvents, expectedState } from "./support";

const payloadEvent = (p: any): OrderEvent => ({
  type: "order",
  orderId: String(p.id),
  customerId: p.customer ? String(p.customer.id) : null,
  at: new Date(p.processed_at),
  updatedAt: new Date(p.updated_at),
  currentTotal: Number(p.current_total_price),
  cancelled: p.cancelled_at != null,
  test: p.test,
});

describe.each(databaseKinds)("points ledger persistence on %s", (kind) => {
  let t: TestDb;
  let h: Harness;
  const now = () => new Date();
  beforeAll(async () => {
    t = await createTestDb(kind);
    h = await harness({ db: t.db, seed: { seed: 21, customers: 60, years: 2 } });
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await t?.drop();
  });

  it("a rebuild from the synced Order table equals the domain's rebuild of Shopify's orders", async () => {
    const at = now();
    const r = await rebuildShopLedger(t.db.sql, SHOP, at);
    expect(r.customers).toBeGreaterThan(30);
    const want = domainLedger(expectedState(emulatorOrderEvents(h.emu, SHOP)), at);
    const got = await dbLedger(t.db, SHOP);
    expect(got.size).toBe(want.size);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(want));
    // some customers have points expiring, some have expired lots: the fixture exercises expiry
    expect([...got.values()].some((c) => c.nextExpiryAt !== null)).toBe(true);
    expect([...got.values()].some((c) => c.lots.some((l) => new Date(l[3]) <= at))).toBe(true);
  });

  it("live webhooks (create, partial refund, cancel, guest, test) applied one by one give the same ledger as a rebuild and as the domain's applyEvent", async () => {
    const s = h.emu.shop(SHOP);
    const cust = (i: number) => s.customerLegacyId(i);
    const payloads: any[] = [];
    payloads.push(h.emu.createOrder(SHOP, { customerId: cust(0), totalCents: 12_345 }));
    payloads.push(h.emu.createOrder(SHOP, { customerId: cust(1), totalCents: 5_000 }));
    payloads.push(h.emu.createOrder(SHOP, { customerId: null, totalCents: 9_900 }));
    payloads.push(h.emu.createOrder(SHOP, { customerId: cust(2), totalCents: 7_000, test: true }));
    // Distinct updated_at for the next versions: wait until the clock has moved on (a condition, not a
    // fixed sleep, so a busy machine cannot make it too short).
    const stamp = Date.now();
    while (Date.now() <= stamp) await new Promise((r) => setImmediate(r));
    payloads.push(h.emu.updateOrder(SHOP, payloads[0].id, { refundCents: 2_345 }));
    payloads.push(h.emu.updateOrder(SHOP, payloads[1].id, { cancelled: true }));
    // an older order of customer 3, refunded in full
    const old = Array.from(s.ordersOfCustomer(3))
      .map((i) => s.orderLegacyId(i))
      .find((id) => !s.orderView(s.orderIndexFromId(id)).cancelledAt);
    if (old) payloads.push(h.emu.updateOrder(SHOP, old, { refundCents: 1_000_000 }));

    // the domain: the state of the synced history, then each webhook applied one by one
    const before = emulatorOrderEvents(h.emu, SHOP).filter((e) => !payloads.some((p) => String(p.id) === e.orderId));
    let live: PointsState = expectedState(before);
    const originals = new Map<string, OrderEvent>();
    for (const e of before) originals.set(e.orderId, e);
    if (old) live = applyEvent(live, originals.get(String(old)) ?? payloadEvent(payloads[payloads.length - 1]));

    for (const p of payloads) {
      expect(await applyOrderWebhook(t.db.sql, SHOP, p)).toBe("applied");
      await applyOrderChange(t.db.sql, SHOP, String(p.id), p.customer ? String(p.customer.id) : null, now());
      live = applyEvent(live, payloadEvent(p));
    }
    const at = now();
    // rows are computed at each webhook's time; compare lots (time-free) and recompute summaries at one instant
    const afterLive = await loadLedgerRows(t.db.sql, SHOP);
    const liveLots = new Map(
      afterLive.filter((r) => r.lots.length).map((r) => [r.customerId, r.lots.map((l) => [l.lotId, l.points, l.burned])]),
    );
    const domainLots = new Map(
      Object.values(live.customers)
        .filter((c) => c.lots.length)
        .map((c) => [c.customerId, c.lots.map((l) => [l.lotId, l.points, l.burned])]),
    );
    expect(Object.fromEntries(liveLots)).toEqual(Object.fromEntries(domainLots));

    // cancelled order: no lot; partial refund: 100 points; guest and test orders: nothing
    const c0 = afterLive.find((r) => r.customerId === String(cust(0)))!;
    expect(c0.lots.find((l) => l.sourceId === String(payloads[0].id))?.points).toBe(100);
    expect(afterLive.find((r) => r.customerId === String(cust(1)))?.lots.some((l) => l.sourceId === String(payloads[1].id)) ?? false).toBe(
      false,
    );

    await t.db.sql.query(`DELETE FROM "PointsLedger" WHERE shop = $1`, [SHOP]);
    await rebuildShopLedger(t.db.sql, SHOP, at);
    expect(Object.fromEntries(await dbLedger(t.db, SHOP))).toEqual(Object.fromEntries(domainLedger(live, at)));
    // and both equal a rebuild of Shopify's current orders
    expect(Object.fromEntries(domainLedger(live, at))).toEqual(
      Object.fromEntries(domainLedger(expectedState(emulatorOrderEvents(h.emu, SHOP)), at)),
    );
  });

  it("an order moved to another customer leaves the first customer's ledger", async () => {
    const s = h.emu.shop(SHOP);
    const a = String(s.customerLegacyId(5));
    const b = String(s.customerLegacyId(6));
    const p = h.emu.createOrder(SHOP, { customerId: Number(a), totalCents: 4_200 });
    await applyOrderWebhook(t.db.sql, SHOP, p);
    await applyOrderChange(t.db.sql, SHOP, String(p.id), a, now());
    const moved = {
      ...p,
      updated_at: new Date(Date.parse(p.updated_at) + 1000).toISOString(),
      customer: { ...p.customer!, id: Number(b), admin_graphql_api_id: `gid://shopify/Customer/${b}` },
    };
    await applyOrderWebhook(t.db.sql, SHOP, moved);
    expect(await applyOrderChange(t.db.sql, SHOP, String(p.id), b, now())).toEqual(expect.arrayContaining([a, b]));
    const rows = await loadLedgerRows(t.db.sql, SHOP, { customerIds: [a, b] });
    expect(rows.find((r) => r.customerId === a)!.lots.some((l) => l.sourceId === String(p.id))).toBe(false);
    expect(rows.find((r) => r.customerId === b)!.lots.find((l) => l.sourceId === String(p.id))?.points).toBe(42);
  });

  it("settings change the rules: a rebuild with 2 points per unit doubles earned lots", async () => {
    const at = now();
    await t.db.sql.query(
      `INSERT INTO "Shop" (domain, "updatedAt", settings) VALUES ($1, now(), '{"points": {"pointsPerUnit": 2}}') ON CONFLICT (domain) DO UPDATE SET settings = excluded.settings`,
      [SHOP],
    );
    await rebuildShopLedger(t.db.sql, SHOP, at);
    const two = await loadLedgerRows(t.db.sql, SHOP);
    await t.db.sql.query(`UPDATE "Shop" SET settings = '{}' WHERE domain = $1`, [SHOP]);
    await rebuildShopLedger(t.db.sql, SHOP, at);
    const one = await loadLedgerRows(t.db.sql, SHOP);
    const sum = (rows: typeof one) => rows.reduce((s, r) => s + r.lots.reduce((x, l) => x + l.points, 0), 0);
    expect(sum(two)).toBeGreaterThan(sum(one) * 1.9);
    expect(emptyPointsState(defaultPointsSettings()).customers).toEqual({});
  });
});

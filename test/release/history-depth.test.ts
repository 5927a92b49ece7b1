// Missing read_all_orders: shopify.dev (Order object note; access scopes) says an app sees only the
// last 60 days of orders by default, and nothing fails: the sync completes on a cut history. The app
// must notice (granted scopes + the oldest synced order) and tell the merchant. The emulator serves
// 60 days silently without the scope (H1, test/shopify-emulator/bulk.test.ts).
// Protected customer data not approved at all: shopify.dev "Work with protected customer data":
// the Customer object is denied (ACCESS_DENIED), which is not a missing scope.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { assessHistoryDepth } from "../../app/domain/history-depth";
import { startSync } from "../../app/sync/start";
import { loadSyncStatus } from "../../app/sync/status";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { harness, latestRun, SHOP, type Harness } from "../sync/support";

const DAY = 86_400_000;
const ALL = "read_orders,read_all_orders,read_customers,write_customers";
const NO_ALL = "read_orders,read_customers,write_customers";

describe("assessHistoryDepth", () => {
  const start = new Date("2026-12-01T00:00:00Z");
  const daysBefore = (n: number) => new Date(start.getTime() - n * DAY);
  it("read_all_orders granted: full; not granted: limited, unless older orders prove full access", () => {
    expect(
      assessHistoryDepth({ grantedScopes: ["read_orders", "read_all_orders"], syncStartedAt: start, oldestOrderAt: daysBefore(10) }).state,
    ).toBe("full");
    expect(assessHistoryDepth({ grantedScopes: ["read_orders"], syncStartedAt: start, oldestOrderAt: daysBefore(59) })).toMatchObject({
      state: "limited",
      hasAllOrdersScope: false,
      oldestWithinWindow: true,
    });
    expect(assessHistoryDepth({ grantedScopes: ["read_orders"], syncStartedAt: start, oldestOrderAt: null }).state).toBe("limited");
    // Orders from a year back: Shopify served full history, the stored scopes are stale.
    expect(assessHistoryDepth({ grantedScopes: ["read_orders"], syncStartedAt: start, oldestOrderAt: daysBefore(365) })).toMatchObject({
      state: "full",
      oldestWithinWindow: false,
    });
  });
  it("scopes unknown: limited only when the oldest order sits at the 60-day edge", () => {
    expect(assessHistoryDepth({ grantedScopes: null, syncStartedAt: start, oldestOrderAt: daysBefore(59.5) }).state).toBe("limited");
    expect(assessHistoryDepth({ grantedScopes: null, syncStartedAt: start, oldestOrderAt: daysBefore(20) }).state).toBe("unknown");
    expect(assessHistoryDepth({ grantedScopes: null, syncStartedAt: start, oldestOrderAt: daysBefore(400) }).state).toBe("unknown");
    expect(assessHistoryDepth({ grantedScopes: null, syncStartedAt: null, oldestOrderAt: null }).state).toBe("unknown");
  });
});

describe.each(databaseKinds)("history depth and protected customer data after a real sync (%s)", (kind) => {
  let t: TestDb;
  let h: Harness | undefined;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => {
    await t.drop();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    for (const table of ["SyncRun", "SyncBulkOperation", "SyncState", "Order", "OrderLine", "Customer", "Shop"])
      await t.db.sql.query(`DELETE FROM "${table}"`);
  });

  async function installShop(scopes: string | null) {
    // What app/install.server.ts stores after token exchange (the granted scopes).
    await t.db.sql.query(`INSERT INTO "Shop" (domain, scopes, "updatedAt") VALUES ($1, $2, now())`, [SHOP, scopes]);
  }

  it("without read_all_orders the sync completes on 60 days of orders and the status says history is limited", async () => {
    h = await harness({ emulator: { scopes: NO_ALL }, db: t.db, seed: { seed: 7, customers: 120, years: 2 } });
    await installShop(NO_ALL);
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    expect(await latestRun(t.db)).toMatchObject({ status: "completed", errorCode: null });
    const status = await loadSyncStatus(t.db.sql, SHOP);
    expect(status.error).toBeNull();
    expect(status.history).toMatchObject({ state: "limited", windowDays: 60, hasAllOrdersScope: false });
    expect(status.history!.title).toMatch(/last 60 days/);
    expect(status.history!.message).toMatch(/read_all_orders/);
    expect(status.history!.message).toMatch(/approval/);
    expect(status.history!.message).toMatch(/less reliable/);
    const startedAt = new Date(status.startedAt!).getTime();
    expect(new Date(status.history!.oldestOrderAt!).getTime()).toBeGreaterThanOrEqual(startedAt - 62 * DAY);
    // Computed once and kept on the run.
    const run = (await t.db.sql.query<any>(`SELECT "oldestOrderAt", "historyCheckedAt" FROM "SyncRun" WHERE kind = 'initial'`))[0];
    expect(run.historyCheckedAt).toBeInstanceOf(Date);
  });

  it("with read_all_orders the full history arrives and nothing is flagged", async () => {
    h = await harness({ emulator: { scopes: ALL }, db: t.db, seed: { seed: 7, customers: 120, years: 2 } });
    await installShop(ALL);
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    const status = await loadSyncStatus(t.db.sql, SHOP);
    expect(status.history).toMatchObject({ state: "full", hasAllOrdersScope: true, title: null, message: null });
    expect(new Date(status.history!.oldestOrderAt!).getTime()).toBeLessThan(new Date(status.startedAt!).getTime() - 120 * DAY);
  });

  it("protected customer data not approved: the customers export is denied, orders are kept, and the status names the real request", async () => {
    h = await harness({ emulator: { scopes: ALL }, db: t.db, seed: { seed: 7, customers: 60, years: 1 } });
    h.emu.setProtectedCustomerData(SHOP, "none");
    await installShop(ALL);
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    expect(await latestRun(t.db)).toMatchObject({ errorCode: "ACCESS_DENIED" });
    const status = await loadSyncStatus(t.db.sql, SHOP);
    expect(status.error).toMatchObject({ code: "PROTECTED_CUSTOMER_DATA" });
    expect(status.error!.message).toMatch(/protected customer data/i);
    expect(status.error!.message).not.toMatch(/read_all_orders/);
    expect(status.canRetry).toBe(true);
    const orders = (await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Order" WHERE shop = $1`, [SHOP]))[0]!.n;
    expect(orders).toBeGreaterThan(0);
  });

  it("read_customers really missing stays ACCESS_DENIED with the scope explanation", async () => {
    h = await harness({ emulator: { scopes: "read_orders,read_all_orders" }, db: t.db, seed: { seed: 7, customers: 40, years: 1 } });
    await installShop("read_orders,read_all_orders");
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    const status = await loadSyncStatus(t.db.sql, SHOP);
    expect(status.error).toMatchObject({ code: "ACCESS_DENIED" });
    expect(status.error!.message).toMatch(/read_customers/);
    expect(status.error!.message).not.toMatch(/read_all_orders/);
  });
});

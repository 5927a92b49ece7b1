import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS } from "../../app/domain/points";
import { isAppError } from "../../app/lib/errors";
import { loadLedgerRows, rebuildShopLedger } from "../../app/points/store";
import { redeemPoints, settleStaleRedemptions, type RedeemDeps } from "../../app/points/redeem-points";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { discountsOf, findDiscountByCode } from "../shopify-emulator/modules/discounts";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { turnPointsOnForTest } from "./support";

const SHOP = "points-redeem.myshopify.com";

describe.each(databaseKinds)("redeeming points for a single-use code on %s", (kind) => {
  let t: TestDb;
  let emu: Emulator;
  let token: string;
  let customer: string;
  let nextOrder = 1;
  const deps = (extra: Partial<RedeemDeps> = {}): RedeemDeps => ({
    sql: t.db.sql,
    client: async (shop) => createAdminClient({ shop, accessToken: token, urlTemplate: `${emu.url}/{shop}`, sleep: async () => {} }),
    ...extra,
  });
  const balance = async (cid = customer) => (await loadLedgerRows(t.db.sql, SHOP, { customerIds: [cid] }))[0]?.balance ?? 0;
  const redemptions = async () =>
    t.db.sql.query<{ status: string; points: number; code: string }>(
      `SELECT status, points, code FROM "PointsRedemption" WHERE shop = $1 ORDER BY "createdAt"`,
      [SHOP],
    );
  async function order(cid: string, total: number, daysAgo: number) {
    const at = new Date(Date.now() - daysAgo * DAY_MS).toISOString();
    await t.db.sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency) VALUES ($1, $2, $3, $4, $4, $4, $5, $5, 'USD')`,
      [SHOP, nextOrder++, cid, at, total],
    );
  }
  async function fail(p: Promise<unknown>) {
    try {
      await p;
    } catch (e) {
      return e;
    }
    throw new Error("expected a failure");
  }

  beforeAll(async () => {
    t = await createTestDb(kind);
    emu = await startEmulator({ apiKey: "points-key", apiSecret: "points-secret" });
    await emu.addShop(SHOP, { seed: 4, customers: 6, years: 1 });
    token = emu.issueAccessToken(SHOP);
    await turnPointsOnForTest(t.db.sql, SHOP);
  }, 240_000);
  afterAll(async () => {
    await emu?.stop();
    await t?.drop();
  });
  beforeEach(async () => {
    emu.faults.clear();
    customer = String(emu.shop(SHOP).customerLegacyId(nextOrder % 6));
    await t.db.sql.query(`DELETE FROM "PointsRedemption"`);
    await t.db.sql.query(`DELETE FROM "Order" WHERE shop = $1 AND "customerId" = $2`, [SHOP, customer]);
    await order(customer, 350.4, 10);
    await order(customer, 500, 400); // expired long ago: not spendable
    await rebuildShopLedger(t.db.sql, SHOP, new Date());
    expect(await balance()).toBe(350);
  });

  it("redeems whole steps (250 asked → 200 points = $10.00), creates a code only this customer can use once", async () => {
    const r = await redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 250, idempotencyKey: "click-0001" });
    expect(r).toMatchObject({ points: 200, value: 10, currencyCode: "USD", balance: 150, replayed: false });
    const d = findDiscountByCode(emu.shop(SHOP), r.code)!;
    expect(d).toBeDefined();
    expect(d.usageLimit).toBe(1);
    expect(d.appliesOncePerCustomer).toBe(true);
    expect(d.value).toEqual({ kind: "amount", amountCents: 1000, appliesOnEachItem: false });
    expect(d.context).toEqual({ kind: "customers", ids: [`gid://shopify/Customer/${customer}`] });
    expect(await redemptions()).toEqual([{ status: "issued", points: 200, code: r.code }]);
  });

  it("a replay with the same key answers the same code and never redeems twice; a double click at once neither", async () => {
    const first = await redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0002" });
    const again = await redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0002" });
    expect(again).toEqual({ ...first, replayed: true });
    const before = discountsOf(emu.shop(SHOP)).length;
    const [a, b] = await Promise.all([
      redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0003" }),
      redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0003" }),
    ]);
    expect(a.code).toBe(b.code);
    expect(discountsOf(emu.shop(SHOP)).length).toBe(before + 1);
    expect(await balance()).toBe(150);
    expect((await redemptions()).map((x) => x.status)).toEqual(["issued", "issued"]);
  });

  it("refuses more than the balance (expired points do not count), and too few points for one step", async () => {
    const e = await fail(redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 400, idempotencyKey: "click-0004" }));
    expect(isAppError(e, "INVALID_INPUT")).toBe(true);
    expect((e as Error).message).toMatch(/insufficient balance: 350 points available, 400 requested/);
    const small = await fail(redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 99, idempotencyKey: "click-0005" }));
    expect((small as Error).message).toMatch(/at least 100 points/);
    const bad = await fail(redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "x" }));
    expect((bad as Error).message).toMatch(/idempotency key/);
    expect(await redemptions()).toEqual([]);
    expect(await balance()).toBe(350);
  });

  it("Shopify refuses: the ledger is not charged; the same key later succeeds once", async () => {
    const before = discountsOf(emu.shop(SHOP)).length;
    emu.faults.httpError(SHOP, 422, 1);
    const e = await fail(redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 300, idempotencyKey: "click-0006" }));
    expect(isAppError(e, "SHOPIFY_GRAPHQL")).toBe(true);
    expect(await balance()).toBe(350);
    expect((await redemptions()).map((x) => x.status)).toEqual(["failed"]);
    expect(discountsOf(emu.shop(SHOP)).length).toBe(before);
    // a rebuild agrees: a failed redemption is no fact
    await rebuildShopLedger(t.db.sql, SHOP, new Date());
    expect(await balance()).toBe(350);
    const ok = await redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 300, idempotencyKey: "click-0006" });
    expect(ok).toMatchObject({ points: 300, balance: 50, replayed: false });
    expect(discountsOf(emu.shop(SHOP)).length).toBe(before + 1);
  });

  it("Shopify unreachable: the points stay reserved, a retry with the same key resumes without a second code", async () => {
    const before = discountsOf(emu.shop(SHOP)).length;
    emu.faults.httpError(SHOP, 503, 6);
    const e = await fail(redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0007" }));
    expect(isAppError(e, "NETWORK")).toBe(true);
    expect(await balance()).toBe(250); // pending counts: no concurrent redemption can spend them
    expect((await redemptions()).map((x) => x.status)).toEqual(["pending"]);
    const r = await redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0007" });
    expect(r).toMatchObject({ points: 100, balance: 250, replayed: true });
    expect(discountsOf(emu.shop(SHOP)).length).toBe(before + 1);
    expect(findDiscountByCode(emu.shop(SHOP), r.code)).toBeDefined();
  });

  it("a redemption abandoned while pending is settled: failed (points back) when Shopify has no code, issued when it has", async () => {
    emu.faults.httpError(SHOP, 503, 6);
    await fail(redeemPoints(deps(), { shop: SHOP, customerId: customer, points: 100, idempotencyKey: "click-0008" }));
    expect(await balance()).toBe(250);
    const later = () => new Date(Date.now() + 20 * 60_000);
    expect(await settleStaleRedemptions(deps({ now: later }), SHOP)).toEqual({ issued: 0, failed: 1 });
    expect(await balance()).toBe(350);
    expect(await settleStaleRedemptions(deps({ now: later }), SHOP)).toEqual({ issued: 0, failed: 0 });
  });
});

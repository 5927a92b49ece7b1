import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../support/db";
import { insertCustomers, insertShop } from "./support";
import { codeOutcomesOf, wonBackMembers, wonBackReport } from "../../app/analysis/won-back";
import { loadCustomerProfile } from "../../app/analysis/customer-profile.server";

/**
 * Won-back health and code outcomes on a seeded shop (ADR 102), through the features' read
 * functions: one campaign whose code ended, three treated members back (one ordered again inside
 * their window, one never did, one came back ten days ago with a low buying chance) and a holdout
 * member who came back on their own.
 */
const SHOP = "won-back.myshopify.com";
const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 11, 1, 12));
const day = (n: number) => new Date(NOW.getTime() + n * DAY);

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb("pglite");
  const sql = t.db.sql;
  await insertShop(sql, SHOP, "UTC");
  await insertCustomers(sql, [1, 2, 3, 4], SHOP);
  const orders: Array<[number, number, number, string[]]> = [
    // id, customer, day, codes
    [11, 1, -400, []],
    [12, 1, -370, []],
    [13, 1, -340, []],
    [14, 1, -125, ["wb-a"]], // the win-back order used the campaign's code (any case)
    [15, 1, -100, []], // and ordered again 25 days later: inside a 60-day window
    [21, 2, -400, []],
    [22, 2, -370, []],
    [23, 2, -340, []],
    [24, 2, -120, ["OTHER"]], // back without the campaign's code, then nothing
    [31, 3, -300, []],
    [32, 3, -270, []],
    [33, 3, -10, []],
    [41, 4, -300, []],
    [42, 4, -120, []],
    [43, 4, -90, []],
  ];
  for (const [id, customer, d, codes] of orders) {
    await sql.query(
      `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", test, "currentTotal", "totalPrice", currency, "discountCodes")
       VALUES ($1, $2, $3, $4, $5, $5, $5, false, 50, 50, 'USD', $6)`,
      [SHOP, id, customer, `#${id}`, day(d), codes],
    );
  }
  await sql.query(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", "discountId", "discountEndsAt", "launchAt", kind, "updatedAt")
     VALUES ('camp-A', $1, 'Spring win-back', 'completed', '{}', 'winback', 'WB-A', 'gid://shopify/DiscountCodeNode/1', $2, $3, 'campaign', now())`,
    [SHOP, day(-116), day(-130)],
  );
  for (const [c, holdout, back] of [
    [1, false, -125],
    [2, false, -120],
    [3, false, -10],
    [4, true, -120],
  ] as const) {
    await sql.query(
      `INSERT INTO "CampaignMember" (shop, "campaignId", "customerId", branch, holdout, "assignedAt", "reactivatedAt") VALUES ($1, 'camp-A', $2, 'Standard', $3, $4, $5)`,
      [SHOP, c, holdout, day(-130), day(back)],
    );
  }
  // The model's view: customer 3 has a 30-day cycle and a 20% chance of buying within 90 days.
  for (const [c, gap, pBuy] of [
    [1, 30, 0.6],
    [2, 30, 0.1],
    [3, 30, 0.2],
  ] as const) {
    await sql.query(
      `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, orders, "purchaseDays", "totalSpent", aov,
                                    "firstOrderAt", "lastOrderAt", "daysSinceLast", "medianGapDays", "pBuy", "churnRisk")
       VALUES ($1, $2, 'run-1', 'active', false, false, false, 3, 3, 150, 50, $3, $3, 10, $4, $5, $6)`,
      [SHOP, c, day(-400), gap, pBuy, 1 - pBuy],
    );
  }
  await sql.query(
    `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, "updatedAt", "sentAt") VALUES
       ('m1-0', $1, 1, 'winback_standard', 'A:1:0', 'camp-A', 'sent', now(), $2),
       ('m1-3', $1, 1, 'winback_standard', 'A:1:3', 'camp-A', 'sent', now(), $3),
       ('m2-0', $1, 2, 'winback_standard', 'A:2:0', 'camp-A', 'sent', now(), $2),
       ('m2-3', $1, 2, 'winback_standard', 'A:2:3', 'camp-A', 'skipped', now(), NULL),
       ('v3-0', $1, 3, 'winback_vip', 'A:3:0', 'camp-A', 'sent', now(), $2)`,
    [SHOP, day(-130), day(-127)],
  );
});
afterAll(() => t.drop());

describe("won-back health", () => {
  it("a page does not wait for the history scan: the model decides until the background scan is in", async () => {
    const shop = "cold-cache.myshopify.com";
    const first = await wonBackMembers(t.db.sql, shop, NOW, undefined, { waitForHistory: false });
    expect(first.calibration).toEqual({ source: "model", returns: 0, pending: true });
    let later = first;
    for (let i = 0; i < 100 && later.calibration.pending; i++) {
      await new Promise((r) => setTimeout(r, 20));
      later = await wonBackMembers(t.db.sql, shop, NOW, undefined, { waitForHistory: false });
    }
    expect(later.calibration.pending).toBe(false);
  });

  it("classifies each won-back member from their own window (cycle × overdue multiplier) and the model", async () => {
    const { members, calibration } = await wonBackMembers(t.db.sql, SHOP, NOW);
    // Too few past returns in this history: the model's own probability.
    expect(calibration.source).toBe("model");
    const by = Object.fromEntries(members.map((m) => [m.customerId, m.health]));
    expect(by["1"]).toMatchObject({ level: "healthy", source: "observed", windowDays: 60 });
    expect(by["2"]).toMatchObject({ level: "lapsed", source: "observed" });
    // 10 of 60 days gone, P(buy in 90 days) = 0.2: P(none in the 50 left) = 0.8^(50/90) ≈ 0.88.
    expect(by["3"]!.source).toBe("model");
    expect(by["3"]!.risk).toBeCloseTo(Math.pow(0.8, 50 / 90), 6);
    expect(by["3"]!.level).toBe("at_risk");
    // The holdout customer had no score: their window is the horizon (90 days) and they ordered 30 days after coming back.
    expect(by["4"]).toMatchObject({ level: "healthy", windowDays: 90 });
  });

  it("reports how many are healthy, at risk and lapsed again, per campaign and overall, with the codes", async () => {
    const r = await wonBackReport(t.db.sql, SHOP, NOW);
    expect(r.overall).toEqual({ healthy: 1, at_risk: 1, lapsed: 1, total: 3 });
    expect(r.holdoutOverall).toEqual({ healthy: 1, at_risk: 0, lapsed: 0, total: 1 });
    expect(r.campaigns).toHaveLength(1);
    expect(r.campaigns[0]).toMatchObject({
      campaignId: "camp-A",
      treated: { healthy: 1, at_risk: 1, lapsed: 1, total: 3 },
      // Customer 1 redeemed, customer 2 let the code end, customer 3's VIP email had no code.
      codes: { customers: 2, redeemed: 1, ignored: 1, open: 0 },
      visits: { visits: 0, visitors: 0 },
    });
  });

  it("per message: the redemption belongs to the last email before the order, the other is 'followed'", async () => {
    const { byMessage } = await codeOutcomesOf(t.db.sql, SHOP, NOW, { customerId: "1" });
    expect(Object.fromEntries(byMessage)).toEqual({ "m1-0": "followed", "m1-3": "redeemed" });
    const all = await codeOutcomesOf(t.db.sql, SHOP, NOW);
    expect(all.byMessage.get("m2-0")).toBe("ignored");
    expect(all.byMessage.get("v3-0")).toBe("no_code");
    // Before the code's end, an unused code is still open.
    expect((await codeOutcomesOf(t.db.sql, SHOP, day(-119))).byMessage.get("m2-0")).toBe("open");
  });

  it("the customer's profile shows the health badge, each email's code outcome and visit, and the visits summary", async () => {
    await t.db.sql.query(
      `INSERT INTO "StorefrontVisit" (id, shop, "customerId", "messageLogId", "campaignId", path, at) VALUES ('v1', $1, 1, 'm1-3', 'camp-A', '/', $2)`,
      [SHOP, day(-126)],
    );
    const p = await loadCustomerProfile(t.db.sql, SHOP, "1", NOW);
    expect(p.memberships[0]!.health).toMatchObject({ level: "healthy", source: "observed" });
    const byId = Object.fromEntries(p.messages.map((m) => [m.id, m]));
    expect(byId["m1-3"]).toMatchObject({ code: "Redeemed", visited: true });
    expect(byId["m1-0"]).toMatchObject({ code: "Redeemed after another email", visited: false });
    expect(p.visits).toMatchObject({ last30Days: 0, fromEmails: 1, total: 1 });
    const two = await loadCustomerProfile(t.db.sql, SHOP, "2", NOW);
    expect(two.memberships[0]!.health?.level).toBe("lapsed");
    expect(two.messages.find((m) => m.id === "m2-0")?.code).toBe("Ignored");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOutcomesOf } from "../../app/analysis/won-back";
import { measure } from "../../app/campaigns/measure";
import { offerCost } from "../../app/campaigns/offer-redemptions";
import { insertLaunchingCampaign } from "../../app/campaigns/store";
import { parseCampaignSettings } from "../../app/domain/campaigns";
import { armDiscountCode, parseExperiment } from "../../app/domain/campaigns/experiment";
import { insertCustomers, insertShop } from "../analysis/support";
import { databaseKinds, createTestDb, type TestDb } from "../support/db";

/**
 * The campaign cards of an offer experiment (ADR 104): the campaign has no code of its own, every
 * arm has one. Discount redemptions and cost count every arm's code, each over its own arm's
 * members and priced from its own offer, with a line per code; the won-back card's code outcomes
 * count a member's redemption of their arm's code. Before, both read the campaign's single code
 * (which an experiment never creates) and showed none.
 */
const SHOP = "offer-cards.myshopify.com";
const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 11, 1, 12));
const day = (n: number) => new Date(NOW.getTime() + n * DAY);
const ID = "exp-cards-0001";

describe.each(databaseKinds)("an experiment campaign's discount cards (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
    const sql = t.db.sql;
    await insertShop(sql, SHOP, "UTC");
    await insertCustomers(sql, [1, 2, 3, 4, 5, 6, 7, 8], SHOP);
    const settings = parseCampaignSettings({ reactivationWindowDays: 30 });
    await insertLaunchingCampaign(sql, {
      id: ID,
      shop: SHOP,
      name: "Arms",
      settings,
      launchAt: day(-20),
      endsAt: day(10),
      tag: "winback-cards",
      discountCode: "COMEBACK-CARDS",
      discountEndsAt: day(-6),
      experiment: parseExperiment({
        arms: [
          { offer: { kind: "percentage", value: 15 } },
          { offer: { kind: "free_shipping" } },
          { offer: { kind: "perk", text: "A note" } },
        ],
      }),
    });
    await sql.query(`UPDATE "Campaign" SET status = 'active', "launchSteps" = $2::jsonb WHERE id = $1`, [
      ID,
      JSON.stringify({
        members: { doneAt: day(-20).toISOString() },
        discount: {
          arms: { A: "gid://shopify/DiscountCodeNode/1", B: "gid://shopify/DiscountCodeNode/2" },
          doneAt: day(-20).toISOString(),
        },
      }),
    ]);
    // Arms A (1, 2), B (3, 4), C (5, 6, the perk), holdout (7, 8).
    for (const [customer, arm, holdout] of [
      [1, "A", false],
      [2, "A", false],
      [3, "B", false],
      [4, "B", false],
      [5, "C", false],
      [6, "C", false],
      [7, null, true],
      [8, null, true],
    ] as const) {
      await sql.query(
        `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt", arm, "taggedAt") VALUES ($1, $2, $3, 'Standard', $4, $5, $6, $5)`,
        [ID, customer, SHOP, holdout, day(-20).toISOString(), arm],
      );
    }
    // Orders in the window: 1 used arm A's code (any case), 3 arm B's, 2 and 5 and 7 ordered without a code.
    const orders: Array<[number, number, number, string[]]> = [
      [101, 1, -15, [armDiscountCode(ID, "A").toLowerCase()]],
      [102, 2, -12, []],
      [103, 3, -10, [armDiscountCode(ID, "B")]],
      [104, 5, -9, []],
      [105, 7, -8, []],
    ];
    for (const [id, customer, d, codes] of orders) {
      await sql.query(
        `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency, "discountCodes", "financialStatus")
         VALUES ($1, $2, $3, $4, $5, $5, $5, 85, 100, 'USD', $6, 'PAID')`,
        [SHOP, id, customer, `#${id}`, day(d).toISOString(), codes],
      );
    }
    await sql.query(
      `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, "updatedAt", "sentAt") VALUES
         ('m1', $1, 1, 'winback_standard', 'c:1:0', $2, 'sent', now(), $3),
         ('m3', $1, 3, 'winback_standard', 'c:3:0', $2, 'sent', now(), $3),
         ('m4', $1, 4, 'winback_standard', 'c:4:0', $2, 'sent', now(), $3)`,
      [SHOP, ID, day(-20)],
    );
  }, 120_000);
  afterAll(async () => t?.drop());

  it("discount redemptions and cost count every arm's code, each priced from its own offer, with a line per code", async () => {
    const deps = {
      sql: t.db.sql,
      now: () => NOW,
      messageCounts: async () => ({ delivered: 3, unsubscribed: 0, complaints: 0 }),
    };
    const report = await measure(deps, SHOP, ID);
    expect(report.measurement.discount.redemptions).toBe(2);
    const rows = report.discountByOffer!;
    expect(rows.map((r) => [r.key, r.code, r.redemptions])).toEqual([
      ["A", armDiscountCode(ID, "A"), 1],
      ["B", armDiscountCode(ID, "B"), 1],
    ]);
    // 15% on an order that paid 85: 85 × 15 / 85 = 15.00; free shipping is not priced (no shipping price in our copy).
    expect(rows[0]!.cost).toBe(15);
    expect(rows[1]!.cost).toBe(0);
    expect(rows[1]!.method).toMatch(/not priced/);
    expect(report.measurement.discount.cost).toBe(15);
    expect(report.discountCostMethod).toContain(armDiscountCode(ID, "A"));
  });

  it("the won-back card's code outcomes count a member's redemption of their arm's code", async () => {
    const { byCampaign, byMessage } = await codeOutcomesOf(t.db.sql, SHOP, NOW, { campaignId: ID });
    expect(byMessage.get("m1")).toBe("redeemed");
    expect(byMessage.get("m3")).toBe("redeemed");
    expect(byMessage.get("m4")).not.toBe("redeemed");
    expect(byMessage.get("m4")).not.toBe("no_code");
    expect(byCampaign.get(ID)?.get("1")).toBe("redeemed");
  });

  it("prices each offer kind from its own terms", () => {
    expect(offerCost({ kind: "fixed_amount", value: 9 }, 3, 200)).toMatchObject({ cost: 27 });
    expect(offerCost({ kind: "percentage", value: 25 }, 2, 150).cost).toBe(50);
    expect(offerCost({ kind: "perk", text: "x" }, 0, 0).cost).toBe(0);
  });
});

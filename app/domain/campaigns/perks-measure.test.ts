import { describe, expect, it } from "vitest";
import { mulberry32 } from "../stats";
import {
  checkInScript,
  cumulativeReactivation,
  defaultCampaignSettings,
  evaluateGuardrails,
  measureCampaign,
  suggestPerk,
  suggestPerks,
  type PurchaseLine,
} from "./index";

const line = (orderId: string, productId: string, title: string, type: string | null, date: string, quantity = 1): PurchaseLine => ({
  orderId,
  productId,
  productTitle: title,
  productType: type,
  vendor: "Acme",
  quantity,
  date: new Date(date),
});

describe("perk suggestions", () => {
  it("prefers a rebuy: restock hold for the product bought again", () => {
    const lines = [
      line("o1", "p1", "Linen Shirt", "Shirts", "2025-01-01"),
      line("o2", "p1", "Linen Shirt (Sand)", "Shirts", "2025-03-01"),
      line("o2", "p2", "Belt", "Accessories", "2025-03-01"),
    ];
    expect(suggestPerk(lines)).toEqual({
      kind: "restock_hold",
      text: "Restock hold for Linen Shirt (Sand)",
      productIds: ["p1"],
      orders: 2,
    });
  });
  it("suggests a bundle for products bought together in at least two orders", () => {
    const lines = [
      line("o1", "a", "Coffee Beans", "Coffee", "2025-01-01"),
      line("o1", "b", "Filter Papers", "Supplies", "2025-01-01"),
      line("o1", "c", "Mug", "Kitchen", "2025-01-01"),
      line("o2", "b2", "Filter Papers XL", "Supplies", "2025-02-01"),
      line("o3", "x", "Grinder", "Kitchen", "2025-03-01"),
      line("o3", "y", "Scale", "Kitchen", "2025-03-01"),
      line("o4", "x", "Grinder", "Kitchen", "2025-04-01"),
    ];
    // x is also a rebuy, so restock comes first; the bundle needs a pair in two orders.
    const noRebuy = lines.filter((l) => l.orderId !== "o4");
    expect(suggestPerks(noRebuy).map((p) => p.kind)).toEqual(["early_access", "concierge_call"]);
    const pairTwice = [...noRebuy, line("o5", "x", "Grinder", "Kitchen", "2025-05-01"), line("o5", "y", "Scale", "Kitchen", "2025-05-01")];
    const ranked = suggestPerks(pairTwice);
    expect(ranked.map((p) => p.kind)).toEqual(["restock_hold", "restock_hold", "bundle", "early_access", "concierge_call"]);
    expect(ranked[2].text).toBe("Bundle of Grinder + Scale");
  });
  it("finds the favourite product type across orders", () => {
    const lines = [
      line("o1", "p1", "Dress A", "Dresses", "2025-01-01"),
      line("o2", "p2", "Dress B", "dresses", "2025-02-01"),
      line("o3", "p3", "Scarf", "Scarves", "2025-03-01", 5),
    ];
    expect(suggestPerk(lines)).toMatchObject({ kind: "early_access", text: "Early access to new Dresses", orders: 2 });
  });
  it("falls back to a concierge call and never offers a discount", () => {
    expect(suggestPerk([])).toMatchObject({ kind: "concierge_call", text: "Personal styling/concierge call" });
    expect(suggestPerk([line("o1", "p1", "Lamp", null, "2025-01-01")]).kind).toBe("concierge_call");
    const rnd = mulberry32(3);
    for (let k = 0; k < 200; k++) {
      const lines = Array.from({ length: Math.floor(rnd() * 12) }, () =>
        line(
          `o${Math.floor(rnd() * 4)}`,
          `p${Math.floor(rnd() * 5)}`,
          `Product ${Math.floor(rnd() * 5)}`,
          rnd() < 0.5 ? "Tops" : null,
          "2025-01-01",
        ),
      );
      for (const p of suggestPerks(lines)) expect(p.text).not.toMatch(/%|discount|\boff\b|coupon/i);
    }
  });
  it("uses the merchant override when set", () => {
    expect(suggestPerk([line("o1", "p1", "Lamp", "Home", "2025-01-01")], "Invitation to our private sale")).toEqual({
      kind: "override",
      text: "Invitation to our private sale",
      productIds: [],
      orders: 0,
    });
  });
  it("writes a check-in script with sensible fallbacks", () => {
    const s = checkInScript({
      conciergeName: "Maya",
      conciergeRole: "Client advisor",
      customerFirstName: "Jo",
      shopName: "Atelier",
      perk: { text: "Restock hold for Linen Shirt" },
    });
    expect(s).toContain("Hi Jo,");
    expect(s).toContain("This is Maya, Client advisor at Atelier.");
    expect(s).toContain("restock hold for Linen Shirt.");
    expect(s.trim().endsWith("Maya")).toBe(true);
    const anon = checkInScript({ conciergeName: "", customerFirstName: null, perk: { text: "Personal styling/concierge call" } });
    expect(anon).toContain("Hi there,");
    expect(anon).toContain("This is your personal concierge.");
  });
});

describe("guardrails", () => {
  const settings = defaultCampaignSettings();
  it("never pauses below the minimum deliveries", () => {
    expect(evaluateGuardrails({ deliveries: 299, unsubscribes: 50, complaints: 50 }, settings)).toMatchObject({
      status: "ok",
      evaluated: false,
      reasons: [],
    });
  });
  it("pauses strictly above the limits, with every reason", () => {
    expect(evaluateGuardrails({ deliveries: 1000, unsubscribes: 3, complaints: 1 }, settings).status).toBe("ok");
    const r = evaluateGuardrails({ deliveries: 1000, unsubscribes: 4, complaints: 2 }, settings);
    expect(r.status).toBe("pause");
    expect(r.reasons).toEqual([
      { metric: "unsubscribe_rate", rate: 0.004, limit: 0.003 },
      { metric: "complaint_rate", rate: 0.002, limit: 0.001 },
    ]);
    expect(evaluateGuardrails({ deliveries: 300, unsubscribes: 0, complaints: 1 }, settings).reasons.map((x) => x.metric)).toEqual([
      "complaint_rate",
    ]);
  });
  it("rejects negative counts", () => {
    expect(() => evaluateGuardrails({ deliveries: -1, unsubscribes: 0, complaints: 0 }, settings)).toThrow(/deliveries/);
  });
});

describe("measureCampaign", () => {
  const settings = defaultCampaignSettings();
  const base = { discountRedemptions: 150, discountCost: 1500, vipWonBackRevenue: 2400, deliveries: 9000, unsubscribes: 10, complaints: 1 };

  it("reports lift, incremental revenue and guardrails", () => {
    const m = measureCampaign(
      {
        ...base,
        treated: { n: 3600, reactivated: 252, revenueSum: 252 * 80, revenueSumSq: 252 * 80 * 80 * 1.5 },
        holdout: { n: 400, reactivated: 12, revenueSum: 12 * 80, revenueSumSq: 12 * 80 * 80 * 1.5 },
      },
      settings,
    );
    expect(m.treated.rate).toBeCloseTo(0.07, 12);
    expect(m.holdout.rate).toBeCloseTo(0.03, 12);
    expect(m.lift.absolute).toBeCloseTo(0.04, 12);
    expect(m.lift.relative).toBeCloseTo(4 / 3, 12);
    expect(m.lift.ci!.low).toBeGreaterThan(0);
    expect(m.lift.ci!.low).toBeLessThan(0.04);
    expect(m.lift.ci!.high).toBeGreaterThan(0.04);
    expect(m.incrementalReactivations).toBeCloseTo(144, 9);
    // (5.6 - 2.4) per customer × 3600 treated
    expect(m.incrementalRevenue.estimate).toBeCloseTo(11520, 6);
    expect(m.incrementalRevenue.ci!.low).toBeLessThan(11520);
    expect(m.incrementalRevenue.ci!.high).toBeGreaterThan(11520);
    expect(m.discount.costPerIncrementalReactivation).toBeCloseTo(1500 / 144, 9);
    expect(m.vipWonBackRevenue).toBe(2400);
    expect(m.guardrails.status).toBe("ok");
  });

  it("stays defined with an empty holdout", () => {
    const m = measureCampaign(
      {
        ...base,
        treated: { n: 10, reactivated: 1, revenueSum: 50, revenueSumSq: 2500 },
        holdout: { n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 },
      },
      settings,
    );
    expect(m.lift).toEqual({ absolute: null, ci: null, relative: null, pValue: null });
    expect(m.incrementalRevenue).toEqual({ estimate: null, ci: null });
    expect(m.holdout.rate).toBeNull();
    expect(() =>
      measureCampaign(
        {
          ...base,
          treated: { n: 1, reactivated: 2, revenueSum: 0, revenueSumSq: 0 },
          holdout: { n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 },
        },
        settings,
      ),
    ).toThrow(/reactivated/);
  });
});

describe("cumulativeReactivation", () => {
  it("accumulates by end of day, with day 0 for same-day orders", () => {
    const pts = cumulativeReactivation({ n: 10, daysToFirstOrder: [0, 0.5, 1, 2.9, 7] }, { n: 4, daysToFirstOrder: [3] }, 3);
    expect(pts).toEqual([
      { day: 0, treated: 0.2, holdout: 0, lift: 0.2 },
      { day: 1, treated: 0.3, holdout: 0, lift: 0.3 },
      { day: 2, treated: 0.4, holdout: 0, lift: 0.4 },
      { day: 3, treated: 0.4, holdout: 0.25, lift: 0.4 - 0.25 },
    ]);
  });
  it("handles empty arms and rejects bad input", () => {
    expect(cumulativeReactivation({ n: 0, daysToFirstOrder: [] }, { n: 0, daysToFirstOrder: [] }, 1)).toEqual([
      { day: 0, treated: null, holdout: null, lift: null },
      { day: 1, treated: null, holdout: null, lift: null },
    ]);
    expect(() => cumulativeReactivation({ n: 1, daysToFirstOrder: [1, 2] }, { n: 0, daysToFirstOrder: [] }, 3)).toThrow(
      /more first orders/,
    );
    expect(() => cumulativeReactivation({ n: 1, daysToFirstOrder: [-1] }, { n: 0, daysToFirstOrder: [] }, 3)).toThrow(/>= 0/);
  });
});

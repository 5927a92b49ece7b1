import { describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import { buildPlan, defaultCampaignSettings, describeDiscount, discountEndsAt, parseCampaignSettings, silenceSignalOf } from "./index";

describe("campaign settings", () => {
  it("fills every default", () => {
    const s = defaultCampaignSettings();
    expect(s).toEqual({
      discount: {
        kind: "percentage",
        value: 15,
        minimumSubtotal: null,
        validityDays: 14,
        combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: true },
        appliesOncePerCustomer: true,
        graceDays: 0,
        appliesTo: { kind: "all", products: [] },
      },
      holdoutShare: 0.1,
      vip: {
        conciergeName: "",
        conciergeRole: "Customer care",
        owner: "",
        perkOverride: null,
        followUpDays: 7,
        graceDays: 2,
        touchDays: [0, 7],
      },
      standard: { touchDays: [0, 3, 10], ifNoClick: [] },
      guardrails: { maxUnsubscribeRate: 0.003, maxComplaintRate: 0.001, minDeliveries: 300 },
      frequencyCapHours: 48,
      reactivationWindowDays: 30,
      targeting: { by: "risk", maxCustomers: null, maxDiscountCost: null, margin: 0.5 },
    });
  });

  it("keeps nested defaults when only part of a group is given", () => {
    const s = parseCampaignSettings({
      discount: { kind: "fixed_amount", value: 10, combinesWith: { orderDiscounts: true } },
      vip: { owner: "ana@shop.test" },
    });
    expect(s.discount.combinesWith).toEqual({ orderDiscounts: true, productDiscounts: false, shippingDiscounts: true });
    expect(s.discount.validityDays).toBe(14);
    expect(s.vip.followUpDays).toBe(7);
    expect(s.vip.owner).toBe("ana@shop.test");
  });

  it.each([
    [{ holdoutShare: 0.6 }, /holdoutShare/],
    [{ holdoutShare: -0.1 }, /holdoutShare/],
    [{ discount: { kind: "percentage", value: 120 } }, /discount.value/],
    [{ discount: { value: 0 } }, /discount.value/],
    [{ discount: { kind: "bogo" } }, /discount.kind/],
    [{ discount: { validityDays: 7 } }, /standard.touchDays.*before the offer ends/],
    [{ standard: { touchDays: [0, 5, 3] } }, /strictly increasing/],
    [{ vip: { touchDays: [] } }, /vip.touchDays/],
    [{ guardrails: { minDeliveries: 0 } }, /guardrails.minDeliveries/],
    [{ frequencyCapHours: -1 }, /frequencyCapHours/],
  ])("rejects %j", (input, message) => {
    try {
      parseCampaignSettings(input);
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, "INVALID_INPUT")).toBe(true);
      expect((e as Error).message).toMatch(message);
    }
  });

  it("computes the offer end and its label", () => {
    const s = defaultCampaignSettings();
    expect(discountEndsAt(new Date("2026-12-01T09:00:00Z"), s).toISOString()).toBe("2026-12-15T09:00:00.000Z");
    expect(describeDiscount(s.discount)).toBe("15% off");
    expect(describeDiscount({ ...s.discount, kind: "fixed_amount", value: 10 }, "EUR")).toBe("10.00 EUR off");
  });
});

describe("buildPlan", () => {
  const settings = defaultCampaignSettings();
  const counts = { VIP: { customers: 120, baselineRate: 0.08 }, Standard: { customers: 4000, baselineRate: 0.03 } };

  it("states the offer's end date in the shop's time zone", () => {
    // 14 days after 2026-11-23T02:19Z is 2026-12-07T02:19Z: still the 6th in New York.
    const launchAt = new Date("2026-11-23T02:19:00Z");
    const std = (tz?: string) => buildPlan(counts, settings, { launchAt, timeZone: tz }).find((r) => r.segment === "Standard")!.action;
    expect(std("America/New_York")).toContain("ends 2026-12-06");
    expect(std("Asia/Tokyo")).toContain("ends 2026-12-07");
    expect(std()).toContain("ends 2026-12-07");
  });

  it("renders the two branches with expected holdout and MDE", () => {
    const rows = buildPlan(counts, settings, { launchAt: new Date("2026-12-01T09:00:00Z") });
    expect(rows.map(({ mdeLift, ...r }) => r)).toEqual([
      {
        segment: "VIP",
        silenceSignal: "90d silent + top-decile LTV",
        action: "Dedicated CS check-in + perk",
        channel: "Email + optional call",
        timing: "Day 0 / Day 7",
        customers: 120,
        treated: 108,
        holdout: 12,
      },
      {
        segment: "Standard",
        silenceSignal: "90d silent",
        action: "Limited-time offer (15% off, ends 2026-12-15)",
        channel: "Email (SMS via Flow)",
        timing: "Day 0 / Day 3 / Day 10",
        customers: 4000,
        treated: 3600,
        holdout: 400,
      },
    ]);
    const [vip, std] = rows;
    // Tiny VIP holdouts can only detect huge lifts; that is the honest message for the merchant.
    expect(vip.mdeLift!).toBeGreaterThan(0.15);
    expect(std.mdeLift!).toBeGreaterThan(0.01);
    expect(std.mdeLift!).toBeLessThan(0.04);
  });

  it("uses actual holdout counts, overrides and zero-size segments", () => {
    const s = parseCampaignSettings({ vip: { perkOverride: "Private preview evening" }, discount: { kind: "fixed_amount", value: 10 } });
    const rows = buildPlan(
      { VIP: { customers: 0, baselineRate: 0.05 }, Standard: { customers: 1000, holdout: 97, baselineRate: 0.03 } },
      s,
      {
        currencyCode: "EUR",
        silentDays: 120,
      },
    );
    expect(rows[0]).toMatchObject({
      action: "Dedicated CS check-in + perk: Private preview evening",
      treated: 0,
      holdout: 0,
      mdeLift: null,
    });
    expect(rows[1]).toMatchObject({
      silenceSignal: "120d silent",
      action: "Limited-time offer (10.00 EUR off, ends launch + 14d)",
      treated: 903,
      holdout: 97,
    });
    expect(() => buildPlan({ ...counts, Standard: { customers: 10, holdout: 11, baselineRate: 0.03 } }, settings)).toThrow(
      /holdout must be/,
    );
  });
});

describe("plan table from the settings (issue 13)", () => {
  const analysis = {
    lapse: { atRiskDays: 45, lostDays: 200 },
    overdue: { gapMultiplier: 1.5 },
    vip: { percentile: 0.95, fixedThreshold: null },
    targets: { includeLost: false },
  };
  const counts = { VIP: { customers: 10, baselineRate: 0.05 }, Standard: { customers: 100, baselineRate: 0.05 } };

  it("the silence signal is what the analysis settings make a target, not fixed text", () => {
    const rows = buildPlan(counts, defaultCampaignSettings(), { silenceSignal: silenceSignalOf(analysis) });
    expect(rows.find((r) => r.segment === "Standard")!.silenceSignal).toBe("45–200d silent, or overdue (1.5× their usual gap)");
    expect(rows.find((r) => r.segment === "VIP")!.silenceSignal).toBe(
      "45–200d silent, or overdue (1.5× their usual gap) + top 5% by spend",
    );
    const fixed = silenceSignalOf(
      { ...analysis, vip: { percentile: 0.9, fixedThreshold: 500 }, targets: { includeLost: true } },
      (x) => `${x} EUR`,
    );
    expect(fixed.vip).toBe("45d+ silent, or overdue (1.5× their usual gap) + spent 500 EUR or more");
  });

  it("timing follows the touch days of each branch", () => {
    const s = parseCampaignSettings({ vip: { touchDays: [0, 5] }, standard: { touchDays: [0, 2, 6] }, discount: { validityDays: 10 } });
    const rows = buildPlan(counts, s, { silenceSignal: silenceSignalOf(analysis) });
    expect(rows.find((r) => r.segment === "VIP")!.timing).toBe("Day 0 / Day 5");
    expect(rows.find((r) => r.segment === "Standard")!.timing).toBe("Day 0 / Day 2 / Day 6");
  });
});

import { describe, expect, it } from "vitest";
import { defaultCampaignSettings } from "../../app/domain/campaigns";
import { settingsFromForm } from "../../app/campaigns/page.server";

const form = (fields: Record<string, string>) => {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  return fd;
};

describe("plan form → campaign settings", () => {
  it("reads the guardrails and frequency cap as percentages and hours", () => {
    const s = settingsFromForm(
      form({ maxUnsubscribePercent: "0.5", maxComplaintPercent: "0.2", minDeliveries: "500", frequencyCapHours: "72" }),
      defaultCampaignSettings(),
    );
    expect(s.guardrails).toEqual({ maxUnsubscribeRate: 0.005, maxComplaintRate: 0.002, minDeliveries: 500 });
    expect(s.frequencyCapHours).toBe(72);
  });

  it("keeps the saved values for fields the form does not carry", () => {
    const base = { ...defaultCampaignSettings(), frequencyCapHours: 24 };
    const s = settingsFromForm(form({ discountValue: "20" }), base);
    expect(s.frequencyCapHours).toBe(24);
    expect(s.guardrails).toEqual(base.guardrails);
    expect(s.discount.value).toBe(20);
  });

  it("rejects an impossible limit with the field named", () => {
    expect(() => settingsFromForm(form({ maxUnsubscribePercent: "150" }), defaultCampaignSettings())).toThrow(
      /guardrails\.maxUnsubscribeRate/,
    );
  });
});

describe("stored campaign settings (issue 16: the owner must be one address)", () => {
  it("a campaign saved with an owner list still loads, without the owner; other problems still fail", async () => {
    const { storedCampaignSettings } = await import("../../app/campaigns/store");
    const stored = { ...defaultCampaignSettings(), vip: { ...defaultCampaignSettings().vip, owner: "a@x.com, b@y.com" } };
    expect(storedCampaignSettings(stored).vip.owner).toBe("");
    expect(storedCampaignSettings(stored).vip.conciergeRole).toBe(defaultCampaignSettings().vip.conciergeRole);
    expect(() => storedCampaignSettings({ ...stored, holdoutShare: 0.9 })).toThrow(/holdoutShare/);
  });

  it("reads '12,5' as 12.5 and reports every bad field in the form's own units", async () => {
    expect(settingsFromForm(form({ discountValue: "12,5", frequencyCapHours: "1.5" }), defaultCampaignSettings())).toMatchObject({
      discount: { value: 12.5 },
      frequencyCapHours: 1.5,
    });
    const { formFieldErrors } = await import("../../app/campaigns/page.server");
    let err: unknown;
    try {
      settingsFromForm(
        form({
          discountKind: "fixed_amount",
          discountValue: "1e300",
          minimumSubtotal: "5000000",
          holdoutPercent: "abc",
          minDeliveries: "2,5",
        }),
        defaultCampaignSettings(),
      );
    } catch (e) {
      err = e;
    }
    expect(formFieldErrors(err)).toEqual({
      discountValue: "Enter a number",
      minimumSubtotal: "At most 1,000,000",
      holdoutPercent: "Enter a number",
      minDeliveries: "Whole numbers only",
    });
  });
});

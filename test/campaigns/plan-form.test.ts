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
    const s = settingsFromForm(form({ maxUnsubscribePercent: "0.5", maxComplaintPercent: "0.2", minDeliveries: "500", frequencyCapHours: "72" }), defaultCampaignSettings());
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
    expect(() => settingsFromForm(form({ maxUnsubscribePercent: "150" }), defaultCampaignSettings())).toThrow(/guardrails\.maxUnsubscribeRate/);
  });
});

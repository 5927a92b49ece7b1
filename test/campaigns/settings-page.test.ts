import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discountInput } from "../../app/campaigns/launch";
import { loadCampaignSettingsPage, loadPlanPage, saveCampaignSettingsForm } from "../../app/campaigns/page.server";
import type { CampaignRow } from "../../app/campaigns/store";
import { createTestDb, type TestDb } from "../support/db";

const SHOP = "settings-page.myshopify.com";
const form = (fields: Record<string, string>) => {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.set(k, v);
  return fd;
};

/**
 * Issue 13: touch days, the offer's validity and grace, and the measurement window are settings a
 * merchant can change (app/routes/app.settings.campaigns.tsx), and the plan reflects them.
 */
describe("campaign settings page", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("pglite");
    await t.db.sql.query(
      `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", "updatedAt") VALUES ($1, 'Shop', 'EUR', 'UTC', now())`,
      [SHOP],
    );
  });
  afterAll(async () => t?.drop());

  it("starts from the defaults (Standard 0/3/10, VIP 0/7, 14 days, no grace, 30-day window)", async () => {
    const { settings } = await loadCampaignSettingsPage(t.db.sql, SHOP);
    expect(settings.standard.touchDays).toEqual([0, 3, 10]);
    expect(settings.vip.touchDays).toEqual([0, 7]);
    expect(settings.discount).toMatchObject({ validityDays: 14, graceDays: 0 });
    expect(settings.reactivationWindowDays).toBe(30);
  });

  it("saves touch days, validity, grace and window; the plan table and the discount follow them", async () => {
    const r = await saveCampaignSettingsForm(
      t.db.sql,
      SHOP,
      form({ standardTouchDays: "0, 2, 6", vipTouchDays: "0 5", validityDays: "10", graceDays: "2", reactivationWindowDays: "45" }),
    );
    expect(r).toMatchObject({ ok: true });
    const plan = await loadPlanPage(t.db.sql, SHOP, new Date("2026-12-01T10:00:00Z"), "settings-page-key-1");
    expect(plan.preview.rows.find((x) => x.segment === "Standard")!.timing).toBe("Day 0 / Day 2 / Day 6");
    expect(plan.preview.rows.find((x) => x.segment === "VIP")!.timing).toBe("Day 0 / Day 5");
    expect(plan.preview.settings.reactivationWindowDays).toBe(45);
    // The silence signal comes from the analysis settings (defaults here), not fixed text.
    expect(plan.preview.rows.find((x) => x.segment === "Standard")!.silenceSignal).not.toBe("90d silent");
    const launchAt = new Date("2026-12-01T10:00:00Z");
    const announced = new Date(launchAt.getTime() + 10 * 86_400_000);
    const input = discountInput(
      { id: "x", name: "x", settings: plan.preview.settings, discountCode: "WB-X", launchAt, discountEndsAt: announced } as CampaignRow,
      "gid://shopify/Segment/1",
    );
    // The code works two days past the announced end.
    expect(input.endsAt).toBe(new Date(announced.getTime() + 2 * 86_400_000).toISOString());
  });

  it("a bad value is a field error and nothing is saved", async () => {
    const r = await saveCampaignSettingsForm(
      t.db.sql,
      SHOP,
      form({ standardTouchDays: "0, x", vipTouchDays: "0, 7", validityDays: "10", graceDays: "99" }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(["graceDays", "standardTouchDays"]);
    // A last Standard touch after the offer's end is reported on the touch days.
    const late = await saveCampaignSettingsForm(t.db.sql, SHOP, form({ standardTouchDays: "0, 3, 12", validityDays: "10" }));
    expect(late).toMatchObject({ ok: false, errors: { standardTouchDays: expect.stringMatching(/before the offer ends/) } });
    const { settings } = await loadCampaignSettingsPage(t.db.sql, SHOP);
    expect(settings.standard.touchDays).toEqual([0, 2, 6]);
  });
});

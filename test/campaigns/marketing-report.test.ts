// Campaigns in Shopify's Marketing reports (ADR 092), against the emulator's marketing-activities
// module (held to live recordings in test/shopify-emulator/conformance/documents.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLaunch } from "../../app/campaigns/launch";
import {
  MARKETING_REPORT_QUEUE,
  marketingRemoteId,
  marketingUtm,
  reportMarketingActivity,
  shopDay,
} from "../../app/campaigns/marketing-report";
import { handleCampaignAction } from "../../app/campaigns/page.server";
import { campaignHarness, campaignRow, SHOP, type CampaignHarness } from "./support";

describe("campaigns in Shopify's Marketing reports (pglite)", () => {
  let h: CampaignHarness;
  let campaignId: string;
  const activities = () => h.sync.emu.shop(SHOP).store("marketingActivities", () => [] as any[]);
  const engagements = () => h.sync.emu.shop(SHOP).store("marketingEngagements", () => [] as any[]);

  beforeAll(async () => {
    h = await campaignHarness("pglite", { customers: 200, vip: 5, standard: 60, seed: 21 });
    ({ campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "marketing-report-01",
      name: "Autumn",
      settings: { holdoutShare: 0.2 },
    }));
    await h.runDue({ queues: ["campaign.launch"] });
  }, 180_000);
  afterAll(async () => h?.close());

  it("the launch queues a report; it upserts one EMAIL newsletter activity with fixed UTM and today's cumulative engagement", async () => {
    expect(h.jobs.some((j) => j.queue === MARKETING_REPORT_QUEUE)).toBe(true);
    await h.runDue({ queues: ["campaign.touch-batch", "campaign.touch"] }); // day-0 emails
    await h.runDue({ queues: [MARKETING_REPORT_QUEUE] });
    expect(activities()).toHaveLength(1);
    const a = activities()[0];
    expect(a).toMatchObject({
      remoteId: marketingRemoteId(campaignId),
      title: "Winback: Autumn",
      status: "ACTIVE",
      tactic: "NEWSLETTER",
      marketingChannelType: "EMAIL",
      utm: marketingUtm(campaignId),
      remoteUrl: `https://${SHOP}/admin/apps/winback-test-key/app/campaigns/${campaignId}`,
    });
    const e = engagements().filter((x) => x.activityId === a.id);
    expect(e).toHaveLength(1);
    expect(e[0].input).toMatchObject({ isCumulative: true, sendsCount: h.mails.length, unsubscribesCount: 0, complaintsCount: 0 });
    expect(h.mails.length).toBeGreaterThan(0);
    const c = await campaignRow(h.db, campaignId);
    expect(c.launchSteps.marketing).toMatchObject({ activityId: a.id, error: null });
    // The next daily report is queued, one day later.
    const next = h.jobs.filter((j) => j.queue === MARKETING_REPORT_QUEUE);
    expect(next).toHaveLength(1);
    expect(next[0]!.opts?.runAt?.getTime()).toBe(h.clock.now.getTime() + 86_400_000);
  });

  it("a report run twice the same day changes nothing; a status change is reported at once", async () => {
    await reportMarketingActivity(h.deps, { shop: SHOP, campaignId });
    expect(activities()).toHaveLength(1);
    expect(engagements()).toHaveLength(1);
    const form = new FormData();
    form.set("intent", "pause");
    const r = await handleCampaignAction(h.deps, SHOP, campaignId, form);
    expect(r.ok).toBe(true);
    const queued = h.jobs.filter((j) => j.queue === MARKETING_REPORT_QUEUE && !j.opts?.runAt);
    expect(queued).toHaveLength(1);
    await h.runDue({ queues: [MARKETING_REPORT_QUEUE] });
    expect(activities()[0].status).toBe("PAUSED");
  });

  it("the next day adds a new engagement row; without the scope nothing is sent and the campaign says why", async () => {
    h.advanceDays(1);
    await reportMarketingActivity(h.deps, { shop: SHOP, campaignId });
    expect(engagements()).toHaveLength(2);
    await h.db.sql.query(`UPDATE "Shop" SET scopes = $2 WHERE domain = $1`, [SHOP, "read_orders,read_customers,write_customers"]);
    const before = h.sync.emu.shop(SHOP).mutations.length;
    const r = await reportMarketingActivity(h.deps, { shop: SHOP, campaignId });
    expect(r).toEqual({ reported: false, reason: "missing_scope" });
    expect(h.sync.emu.shop(SHOP).mutations.length).toBe(before);
    expect((await campaignRow(h.db, campaignId)).launchSteps.marketing.error).toMatch(/write_marketing_events/);
    await h.db.sql.query(`UPDATE "Shop" SET scopes = NULL WHERE domain = $1`, [SHOP]);
  });

  it("a refusal from Shopify is kept on the campaign with its code, not thrown", async () => {
    // Another app's activity already holds our UTM campaign under a different remote id: Shopify refuses the create.
    const emu = h.sync.emu.shop(SHOP);
    const list = emu.store("marketingActivities", () => [] as any[]);
    list.length = 0;
    list.push({
      ...structuredClone(activities()[0] ?? {}),
      remoteId: "someone-else",
      utm: marketingUtm(campaignId),
      id: "gid://shopify/MarketingActivity/1",
    });
    const r = await reportMarketingActivity(h.deps, { shop: SHOP, campaignId });
    expect(r).toMatchObject({ reported: false, reason: "refused" });
    expect((await campaignRow(h.db, campaignId)).launchSteps.marketing.error).toMatch(
      /Shopify refused the marketing report: .*Utm campaign has already been taken/,
    );
  });

  it("the shop's day and offset", () => {
    expect(shopDay(new Date("2026-12-03T23:30:00Z"), "Europe/Paris")).toEqual({ occurredOn: "2026-12-04", utcOffset: "+01:00" });
    expect(shopDay(new Date("2026-12-03T02:00:00Z"), "America/New_York")).toEqual({ occurredOn: "2026-12-02", utcOffset: "-05:00" });
    expect(shopDay(new Date("2026-12-03T12:00:00Z"), "UTC")).toEqual({ occurredOn: "2026-12-03", utcOffset: "+00:00" });
  });
});

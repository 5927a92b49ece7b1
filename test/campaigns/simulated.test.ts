import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measure } from "../../app/campaigns/measure";
import { requestLaunch } from "../../app/campaigns/launch";
import { reconcileReactivations } from "../../app/campaigns/touch";
import { requestSync } from "../../app/sync/start";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, SHOP, type CampaignHarness } from "./support";

const DAY = 86_400_000;

describe.each(databaseKinds)("measurement with the emulator's simulated shoppers (%s)", (kind) => {
  let h: CampaignHarness;
  beforeAll(async () => {
    h = await campaignHarness(kind, { customers: 600, vip: 30, standard: 400, seed: 9 });
  }, 180_000);
  afterAll(async () => h?.close());

  it("treated customers come back more often than the holdout; code redemptions match Shopify's orders", async () => {
    const { campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "simulated-campaign-01",
      name: "Simulated",
      settings: { holdoutShare: 0.3 },
    });
    await h.runDue({ queues: ["campaign.launch"] });
    const c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("active");
    const launchAt = new Date(c.launchAt);
    // Shopify side: treated customers (in our segment, so eligible for the code, or tagged) reorder 4× as often.
    const sim = h.sync.emu.simulateShoppers(SHOP, { days: 30, seed: 4, from: launchAt, uplift: 4, codeShare: 0.6, treatedTags: [c.tag] });
    expect(sim.treatedOrders).toBeGreaterThan(0);
    // Our side: the orders arrive through a sync (webhooks are not wired in this harness).
    h.sync.sent.length = 0;
    await requestSync(h.sync.deps, SHOP);
    await h.sync.drain();
    h.clock.now = new Date(launchAt.getTime() + 31 * DAY);
    await reconcileReactivations(h.deps, SHOP);
    const r = await measure(h.deps, SHOP, campaignId);
    const m = r.measurement;
    expect(m.treated.rate!).toBeGreaterThan(m.holdout.rate!);
    expect(m.lift.ci!.high).toBeGreaterThan(m.lift.ci!.low);
    expect(m.lift.absolute!).toBeGreaterThan(m.lift.ci!.low);
    expect(m.incrementalRevenue.estimate!).toBeGreaterThan(0);
    // Every redemption in Shopify is a treated member's order with our code inside the window.
    const codeOrders = await h.db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Order" WHERE shop = $1 AND upper($2) = ANY (SELECT upper(x) FROM unnest("discountCodes") x)`,
      [SHOP, c.discountCode],
    );
    expect(m.discount.redemptions).toBe(codeOrders[0]!.n);
    expect(m.discount.redemptions).toBe(sim.codeRedemptions);
    expect(r.series[30]!.treated).toBeCloseTo(m.treated.rate!, 12);
  }, 180_000);
});

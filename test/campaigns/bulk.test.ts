import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignTagFor, memberTagFor, requestLaunch, runLaunch } from "../../app/campaigns/launch";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, inspector, SHOP, type CampaignHarness } from "./support";

describe.each(databaseKinds)("bulk tagging for a large branch (%s)", (kind) => {
  let h: CampaignHarness;
  beforeAll(async () => {
    // Threshold lowered so a 150-customer shop takes the bulk path the same way 10k customers would.
    h = await campaignHarness(kind, { vip: 5, standard: 90, deps: { bulkTagThreshold: 20 } });
  }, 120_000);
  afterAll(async () => h?.close());

  it("tags every treated customer with one bulk mutation, and a killed launch resumes the same operation", async () => {
    const { campaignId } = await requestLaunch(h.deps, { shop: SHOP, launchKey: "bulk-campaign-01", name: "Bulk", settings: {} });
    // Killed after Shopify accepted the bulk mutation and the id was recorded, before it finished.
    const realClient = h.deps.client;
    let killed = false;
    const sent: string[] = [];
    const killing = {
      ...h.deps,
      client: async (shop: string) => {
        const c = await realClient(shop);
        return {
          shop,
          request: async (q: string, v?: Record<string, unknown>) => {
            sent.push(q);
            if (!killed && q.includes("query BulkOperationStatus")) {
              killed = true;
              throw new Error("process killed");
            }
            return c.request(q, v);
          },
        };
      },
    };
    await expect(runLaunch(killing, { shop: SHOP, campaignId })).rejects.toThrow(/process killed/);
    let c = await campaignRow(h.db, campaignId);
    expect(c.launchSteps.tags.bulkOperationId).toMatch(/^gid:\/\/shopify\/BulkOperation\//);
    expect(c.launchSteps.tags.doneAt).toBeUndefined();

    await runLaunch(killing, { shop: SHOP, campaignId });
    c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("active");
    expect(c.launchSteps.tags.mode).toBe("bulk");
    const ins = inspector(h);
    expect(ins.mutations("bulkOperationRunMutation")).toHaveLength(1);
    expect(ins.mutations("stagedUploadsCreate")).toHaveLength(1);
    // No per-customer calls: all tagging went through the bulk operation.
    expect(sent.filter((q) => q.includes("mutation CampaignTagsAdd("))).toHaveLength(0);
    const members = await h.db.sql.query<{ id: string; holdout: boolean; branch: string; taggedAt: Date | null }>(
      `SELECT "customerId"::text AS id, holdout, branch, "taggedAt" FROM "CampaignMember" WHERE "campaignId" = $1`,
      [campaignId],
    );
    const tag = campaignTagFor(campaignId);
    const treated = members.filter((m) => !m.holdout);
    expect(treated.length).toBeGreaterThan(20);
    expect(c.launchSteps.tags.tagged).toBe(treated.length);
    for (const m of members) {
      // Standard members carry the segment's tag; VIPs their own (never in the code's segment).
      expect(ins.tagsOf(m.id).filter((t: string) => t === memberTagFor(tag, m.branch))).toHaveLength(m.holdout ? 0 : 1);
      if (m.branch === "VIP") expect(ins.tagsOf(m.id)).not.toContain(tag);
      expect(m.taggedAt === null).toBe(m.holdout);
    }
  }, 120_000);
});

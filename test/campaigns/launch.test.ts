import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  requestLaunch,
  runLaunch,
  LAUNCH_QUEUE,
  TOUCH_BATCH_QUEUE,
  TOUCH_QUEUE,
  campaignTagFor,
  discountTitleFor,
  memberTagFor,
} from "../../app/campaigns/launch";
import { discountCodeFor, isHoldout } from "../../app/domain/campaigns";
import { AppError } from "../../app/lib/errors";
import { handlePlanAction, loadPlanPage } from "../../app/campaigns/page.server";
import { stopCampaign } from "../../app/campaigns/control";
import { engagedCustomers } from "../../app/campaigns/store";
import { loadSettingsSection } from "../../app/shop-settings.server";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, clearCampaigns, inspector, SHOP, type CampaignHarness } from "./support";

describe.each(databaseKinds)("campaign launch (%s)", (kind) => {
  let h: CampaignHarness;
  beforeAll(async () => {
    h = await campaignHarness(kind, { vip: 8, standard: 50 });
  }, 120_000);
  afterAll(async () => h?.close());
  // Each test launches on the same targets: a campaign still holding them would exclude them (ADR 077, test/campaigns/integrity.test.ts).
  beforeEach(async () => h && clearCampaigns(h.db));

  it("creates tags, one segment and one discount exactly once, even after a crash between steps and a duplicated job", async () => {
    const { campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "launch-crash-0001",
      name: "Autumn winback",
      settings: {},
    });
    // Double click: same launch key, same campaign, no second job.
    const again = await requestLaunch(h.deps, { shop: SHOP, launchKey: "launch-crash-0001", name: "Autumn winback", settings: {} });
    expect(again).toEqual({ campaignId, created: false });
    expect(h.jobs.filter((j) => j.queue === LAUNCH_QUEUE)).toHaveLength(2); // the queue's singleton key drops the second

    // Crash right after the segment was created in Shopify, before the step log was written.
    const realClient = h.deps.client;
    let crash = true;
    const crashing = {
      ...h.deps,
      client: async (shop: string) => {
        const c = await realClient(shop);
        return {
          shop,
          request: async (q: string, v?: Record<string, unknown>) => {
            const r = await c.request(q, v);
            if (crash && q.includes("segmentCreate")) {
              crash = false;
              throw new Error("process killed");
            }
            return r;
          },
        };
      },
    };
    await expect(runLaunch(crashing, { shop: SHOP, campaignId })).rejects.toThrow(/process killed/);
    let c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("launching");
    expect(c.launchSteps.tags.doneAt).toBeTruthy();
    expect(c.launchSteps.segment).toBeUndefined();

    // Crash after the discount was created (answer lost) — the retry must adopt it, not make a second.
    let crashDiscount = true;
    const losing = {
      ...h.deps,
      client: async (shop: string) => {
        const c2 = await realClient(shop);
        return {
          shop,
          request: async (q: string, v?: Record<string, unknown>) => {
            const r = await c2.request(q, v);
            if (crashDiscount && q.includes("discountCodeBasicCreate")) {
              crashDiscount = false;
              throw new AppError("NETWORK", "connection reset");
            }
            return r;
          },
        };
      },
    };
    await expect(runLaunch(losing, { shop: SHOP, campaignId })).rejects.toThrow(/connection reset/);
    c = await campaignRow(h.db, campaignId);
    expect(c.launchError).toMatch(/retrying/);
    expect(c.launchSteps.segment.adopted).toBe(true);

    // Retry and a duplicated job.
    await runLaunch(h.deps, { shop: SHOP, campaignId });
    await runLaunch(h.deps, { shop: SHOP, campaignId });
    c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("active");
    expect(c.launchError).toBeNull();
    expect(c.launchSteps.discount.adopted).toBe(true);

    const ins = inspector(h);
    expect(ins.mutations("segmentCreate").filter((m: any) => !m.result?.userErrors?.length)).toHaveLength(1);
    const discounts = ins.mutations("discountCodeBasicCreate");
    expect(discounts).toHaveLength(1);
    const code = discountCodeFor(campaignId);
    expect(c.discountCode).toBe(code);
    const d = (discounts[0] as any).args.basicCodeDiscount;
    expect(d.code).toBe(code);
    expect(d.title).toBe(discountTitleFor({ id: campaignId, name: "Autumn winback" }));
    expect(d.context.customerSegments.add).toEqual([c.segmentId]);
    expect(d.appliesOncePerCustomer).toBe(true);
    expect(d.combinesWith).toEqual({ orderDiscounts: false, productDiscounts: false, shippingDiscounts: true });
    expect(new Date(d.endsAt).getTime() - new Date(c.launchAt).getTime()).toBe(14 * 86_400_000);

    // Treated Standard customers carry the segment's tag once, treated VIPs their own; holdout customers carry nothing.
    const members = await h.db.sql.query<{ id: string; holdout: boolean; branch: string }>(
      `SELECT "customerId"::text AS id, holdout, branch FROM "CampaignMember" WHERE "campaignId" = $1`,
      [campaignId],
    );
    expect(members).toHaveLength(58);
    const tag = campaignTagFor(campaignId);
    for (const m of members) {
      expect(m.holdout).toBe(isHoldout(campaignId, m.id, 0.1));
      const tags = ins.tagsOf(m.id).filter((t: string) => t === memberTagFor(tag, m.branch));
      expect(tags).toHaveLength(m.holdout ? 0 : 1);
      if (m.branch === "VIP") expect(ins.tagsOf(m.id)).not.toContain(tag);
    }
    const treated = members.filter((m) => !m.holdout);
    // One tagsAdd per treated customer: the crash came after tagging, which was not redone.
    expect(ins.mutations("tagsAdd")).toHaveLength(treated.length);

    // Touches: Day 0/7 VIP, Day 0/3/10 Standard, treated only; one job per day and batch (ADR 084), none per touch.
    const touches = await h.db.sql.query<{ customerId: string; day: number; branch: string }>(
      `SELECT "customerId"::text AS "customerId", day, branch FROM "CampaignTouch" WHERE "campaignId" = $1`,
      [campaignId],
    );
    const expected = treated.reduce((n, m) => n + (m.branch === "VIP" ? 2 : 3), 0);
    expect(touches).toHaveLength(expected);
    expect(touches.every((t) => !members.find((m) => m.id === t.customerId)!.holdout)).toBe(true);
    expect(h.jobs.filter((j) => j.queue === TOUCH_QUEUE && j.payload.campaignId === campaignId)).toHaveLength(0);
    const batchJobs = h.jobs.filter((j) => j.queue === TOUCH_BATCH_QUEUE && j.payload.campaignId === campaignId);
    // Small branches: one batch per branch and day (VIP 0 and 7, Standard 0, 3 and 10; day 0 has one of each).
    expect(batchJobs.map((j) => `${j.payload.day}:${j.payload.batch}`).sort()).toEqual(["0:0", "0:1", "10:0", "3:0", "7:0"]);
    const launchAt = new Date((await campaignRow(h.db, campaignId)).launchAt).getTime();
    for (const j of batchJobs) expect(j.opts?.runAt?.getTime()).toBe(launchAt + j.payload.day * 86_400_000);

    // VIP outreach tasks for treated VIPs only, once.
    const tasks = await h.db.sql.query<{ customerId: string }>(
      `SELECT "customerId"::text AS "customerId" FROM "OutreachTask" WHERE "campaignId" = $1`,
      [campaignId],
    );
    expect(tasks.map((t) => t.customerId).sort()).toEqual(
      treated
        .filter((m) => m.branch === "VIP")
        .map((m) => m.id)
        .sort(),
    );
    // Their escalation check is scheduled at follow-up (7 d) + grace (2 d) after launch.
    const escalations = h.jobs.filter((j) => j.queue === "outreach.escalate" && j.payload.shop === SHOP);
    expect(escalations.map((j) => j.opts?.runAt?.getTime())).toContain(
      Math.floor((new Date(c.launchAt).getTime() + 9 * 86_400_000) / 60_000) * 60_000,
    );

    // The segment really holds the treated customers.
    const seg = ins.store("segments").find((s: any) => s.id === c.segmentId);
    expect(seg.query).toBe(`customer_tags CONTAINS '${tag}'`);
  }, 120_000);

  it("surfaces userErrors: a code the merchant already made stops the launch with Shopify's message", async () => {
    const launchKey = "launch-clash-0002";
    const code = discountCodeFor(launchKey);
    const client = await h.deps.client(SHOP);
    const made: any = await client.request(
      `mutation M($d: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $d) { codeDiscountNode { id } userErrors { message } } }`,
      {
        d: {
          title: "Merchant's own",
          code,
          startsAt: new Date().toISOString(),
          context: { all: "ALL" },
          customerGets: { value: { percentage: 0.1 }, items: { all: true } },
        },
      },
    );
    expect(made.discountCodeBasicCreate.userErrors).toEqual([]);
    const { campaignId } = await requestLaunch(h.deps, { shop: SHOP, launchKey, name: "Clash", settings: {} });
    await runLaunch(h.deps, { shop: SHOP, campaignId }); // completes: not retryable, recorded for the page
    const c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("launching");
    expect(c.launchErrorDetails.code).toBe("SHOPIFY_USER_ERRORS");
    expect(c.launchError).toMatch(/discountCodeBasicCreate: .*code.*(unique|taken|already)/i);
    expect(c.launchSteps.segment.doneAt).toBeTruthy();
    expect(c.launchSteps.discount).toBeUndefined();
    // Its members are held "in a sequence" while it waits; the merchant can abandon it, which frees them (ADR 077).
    expect((await engagedCustomers(h.db.sql, SHOP, h.deps.now())).size).toBeGreaterThan(0);
    await stopCampaign(h.deps, SHOP, campaignId);
    expect((await campaignRow(h.db, campaignId)).status).toBe("stopped");
    expect([...(await engagedCustomers(h.db.sql, SHOP, h.deps.now())).values()].filter((e) => e.reason === "active_sequence")).toEqual([]);
  }, 60_000);

  it("rejects invalid settings and launch keys with a clear error and stores nothing", async () => {
    await expect(requestLaunch(h.deps, { shop: SHOP, launchKey: "x", name: "Bad", settings: {} })).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    await expect(
      requestLaunch(h.deps, {
        shop: SHOP,
        launchKey: "launch-bad-0003",
        name: "Bad",
        settings: { discount: { kind: "percentage", value: 150 } },
      }),
    ).rejects.toThrow(/at most 100/);
    expect(await campaignRow(h.db, "launch-bad-0003")).toBeUndefined();
  });

  it("plan page: exact holdout for the launch key, live preview from the form, double submit launches once, defaults remembered", async () => {
    const page = await loadPlanPage(h.db.sql, SHOP, h.deps.now(), "plan-page-key-0004");
    expect(page.discountCode).toBe(discountCodeFor("plan-page-key-0004"));
    const form = (over: Record<string, string> = {}) => {
      const fd = new FormData();
      const fields: Record<string, string> = {
        launchKey: "plan-page-key-0004",
        intent: "preview",
        name: "From the page",
        discountKind: "fixed_amount",
        discountValue: "12.5",
        minimumSubtotal: "60",
        validityDays: "21",
        stacking: "1",
        combinesProduct: "on",
        exclusions: "No gift cards",
        holdoutPercent: "20",
        conciergeName: "Ana",
        conciergeRole: "CS lead",
        perkOverride: "",
        ...over,
      };
      for (const [k, v] of Object.entries(fields)) fd.set(k, v);
      return fd;
    };
    const preview = await handlePlanAction(h.deps, SHOP, form());
    if (!preview.ok || preview.intent !== "preview") throw new Error(JSON.stringify(preview));
    const p = preview.preview;
    expect(p.settings.discount).toMatchObject({
      kind: "fixed_amount",
      value: 12.5,
      minimumSubtotal: 60,
      validityDays: 21,
      combinesWith: { productDiscounts: true, orderDiscounts: false, shippingDiscounts: false },
    });
    expect(p.rows.find((r) => r.segment === "Standard")!.action).toMatch(/12\.50 EUR off/);
    expect(p.rows.every((r) => r.mdeLift === null || (r.mdeLift > 0 && r.mdeLift < 1))).toBe(true);

    const bad = await handlePlanAction(h.deps, SHOP, form({ discountKind: "percentage", discountValue: "120" }));
    expect(bad).toMatchObject({ ok: false, code: "INVALID_INPUT" });
    expect(bad.ok === false && bad.error).toMatch(/at most 100/);

    const [a, b] = await Promise.all([
      handlePlanAction(h.deps, SHOP, form({ intent: "launch" })),
      handlePlanAction(h.deps, SHOP, form({ intent: "launch" })),
    ]);
    expect(a).toEqual({ ok: true, intent: "launch", campaignId: "plan-page-key-0004" });
    expect(b).toEqual(a);
    const n = await h.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Campaign" WHERE id = 'plan-page-key-0004'`);
    expect(n[0]!.n).toBe(1);
    await runLaunch(h.deps, { shop: SHOP, campaignId: "plan-page-key-0004" });
    const counts = await h.db.sql.query<{ holdout: number; treated: number }>(
      `SELECT count(*) FILTER (WHERE holdout)::int AS holdout, count(*) FILTER (WHERE NOT holdout)::int AS treated FROM "CampaignMember" WHERE "campaignId" = 'plan-page-key-0004'`,
    );
    // What the plan showed is what the launch did.
    expect(counts[0]!.holdout).toBe(p.rows.reduce((x, r) => x + r.holdout, 0));
    expect(counts[0]!.treated).toBe(p.treated);
    const saved = await loadSettingsSection(h.db.sql, SHOP, "campaigns", (x) => x as any);
    expect(saved.discount.value).toBe(12.5);
    expect(saved.holdoutShare).toBe(0.2);
  }, 60_000);

  it("a customer deleted in Shopify since the analysis leaves the campaign (listed), the rest launches", async () => {
    const launchKey = "launch-deleted-0005";
    const ids = await h.db.sql.query<{ id: string }>(
      `SELECT "customerId"::text AS id FROM "CustomerScore" WHERE shop = $1 AND target ORDER BY "customerId"`,
      [SHOP],
    );
    const gone = ids.map((r) => r.id).find((id) => !isHoldout(launchKey, id, 0.1))!;
    const s = h.sync.emu.shop(SHOP);
    s.data.customers.deleted.add(s.customerIndexFromId(`gid://shopify/Customer/${gone}`));
    const { campaignId } = await requestLaunch(h.deps, { shop: SHOP, launchKey, name: "Deleted", settings: {} });
    await runLaunch(h.deps, { shop: SHOP, campaignId });
    const c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("active");
    expect(c.launchSteps.tags.failed).toEqual([{ customerId: gone, message: "Customer does not exist" }]);
    const m = await h.db.sql.query<any>(
      `SELECT "exitReason", "taggedAt" FROM "CampaignMember" WHERE "campaignId" = $1 AND "customerId" = $2`,
      [campaignId, gone],
    );
    expect(m[0]).toMatchObject({ exitReason: "tag_failed", taggedAt: null });
    const touches = await h.db.sql.query(`SELECT 1 FROM "CampaignTouch" WHERE "campaignId" = $1 AND "customerId" = $2`, [campaignId, gone]);
    expect(touches).toHaveLength(0);
  }, 60_000);
});

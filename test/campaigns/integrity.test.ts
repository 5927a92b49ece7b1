import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLaunch, runLaunch } from "../../app/campaigns/launch";
import { stopCampaign } from "../../app/campaigns/control";
import { handlePlanAction, loadCampaignList, loadPlanPage } from "../../app/campaigns/page.server";
import { engagedCustomers } from "../../app/campaigns/store";
import { onOrderChanged, runTouch } from "../../app/campaigns/touch";
import { isHoldout } from "../../app/domain/campaigns";
import { insertSuppression } from "../../app/messaging/store";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, seedTargets, SHOP, TOUCH_QUEUES, type CampaignHarness } from "./support";

/**
 * Issue 13: campaigns that never contaminate each other and controls that do what they say
 * (ADR 077). Each test here failed on the code before: a second campaign enrolled the first one's
 * customers (holdout included), VIPs carried the code's segment tag, the Day-7 VIP note went out
 * after the concierge had talked to the customer, the list added holdout reactivations to treated
 * ones, the launch dialog counted every treated customer as emailed, and a campaign could not be stopped.
 */

interface Member {
  id: string;
  holdout: boolean;
  branch: string;
  exitReason: string | null;
}

async function members(h: CampaignHarness, campaignId: string): Promise<Member[]> {
  return h.db.sql.query<Member>(
    `SELECT "customerId"::text AS id, holdout, branch, "exitReason" FROM "CampaignMember" WHERE "campaignId" = $1 ORDER BY "customerId"`,
    [campaignId],
  );
}

const planForm = (launchKey: string, intent: "preview" | "launch", name = "Second") => {
  const fd = new FormData();
  for (const [k, v] of Object.entries({ launchKey, intent, name })) fd.set(k, v);
  return fd;
};

describe.each(databaseKinds)("campaign integrity (%s)", (kind) => {
  let h: CampaignHarness;
  let first: string;
  let a: Member[];
  beforeAll(async () => {
    h = await campaignHarness(kind, { vip: 8, standard: 50 });
    await h.db.sql.query(`UPDATE "Customer" SET "emailConsent" = 'SUBSCRIBED', email = 'c' || id || '@example.com' WHERE shop = $1`, [
      SHOP,
    ]);
    ({ campaignId: first } = await requestLaunch(h.deps, { shop: SHOP, launchKey: "integrity-first-01", name: "First", settings: {} }));
    await h.runDue({ queues: ["campaign.launch"] });
    expect((await campaignRow(h.db, first)).status).toBe("active");
    a = await members(h, first);
    expect(a.some((m) => m.holdout)).toBe(true);
  }, 180_000);
  afterAll(async () => h?.close());

  it("a VIP cannot use the Standard code in Shopify (the emulator prices it like checkout); a treated Standard customer can", async () => {
    const c = await campaignRow(h.db, first);
    const emu = h.sync.emu;
    const s = emu.shop(SHOP);
    const vip = a.find((m) => !m.holdout && m.branch === "VIP")!;
    const std = a.find((m) => !m.holdout && m.branch === "Standard")!;
    const order = (id: string) =>
      emu.createOrder(SHOP, {
        customerId: id,
        processedAt: new Date(),
        lineItems: [{ productIndex: 0, quantity: 1 }],
        discountCodes: [c.discountCode],
      });
    expect(() => order(vip.id)).toThrow(/not eligible/);
    expect(s.data.customers.tags[s.customerIndexFromId(`gid://shopify/Customer/${vip.id}`)]).not.toContain(c.tag);
    expect(() => order(std.id)).not.toThrow();
  });

  it("the plan of a second campaign excludes the first one's active sequences and open holdout, says how many and why, and counts only the customers the Day-0 email reaches", async () => {
    // 30 more targets lapse after the first launch.
    await seedTargets(h.db.sql, 8, 80);
    const key = "integrity-second-02";
    const page = await loadPlanPage(h.db.sql, SHOP, h.deps.now(), key);
    const p = page.preview;
    const aTreated = a.filter((m) => !m.holdout).length;
    const aHoldout = a.filter((m) => m.holdout).length;
    expect(p.excluded).toEqual({ active_sequence: aTreated, open_holdout: aHoldout });
    expect(p.rows.reduce((n, r) => n + r.treated + r.holdout, 0)).toBe(30);

    // Of the new treated customers, one has no email consent and one unsubscribed through Winback.
    const targets = await h.db.sql.query<{ id: string }>(
      `SELECT "customerId"::text AS id FROM "CustomerScore" WHERE shop = $1 AND target ORDER BY "customerId"`,
      [SHOP],
    );
    const inA = new Set(a.map((m) => m.id));
    const newTreated = targets.map((t) => t.id).filter((id) => !inA.has(id) && !isHoldout(key, id, p.settings.holdoutShare));
    expect(p.treated).toBe(newTreated.length);
    await h.db.sql.query(`UPDATE "Customer" SET "emailConsent" = 'NOT_SUBSCRIBED' WHERE shop = $1 AND id = $2`, [SHOP, newTreated[0]]);
    await insertSuppression(h.db.sql, {
      shop: SHOP,
      customerId: newTreated[1]!,
      email: `c${newTreated[1]}@example.com`,
      source: "link",
      campaignId: null,
      messageLogId: null,
      at: h.clock.now,
    });
    const again = await handlePlanAction(h.deps, SHOP, planForm(key, "preview"));
    if (!again.ok || again.intent !== "preview") throw new Error(JSON.stringify(again));
    expect(again.preview.treated).toBe(newTreated.length);
    expect(again.preview.day0Emails).toBe(newTreated.length - 2);

    const launched = await handlePlanAction(h.deps, SHOP, planForm(key, "launch"));
    expect(launched).toMatchObject({ ok: true, intent: "launch" });
    await runLaunch(h.deps, { shop: SHOP, campaignId: key });
    const b = await members(h, key);
    expect(b).toHaveLength(30);
    expect(b.filter((m) => inA.has(m.id))).toEqual([]);
    expect((await campaignRow(h.db, key)).launchSteps.members.excluded).toEqual({ active_sequence: aTreated, open_holdout: aHoldout });
  }, 120_000);

  it("engagement ends when the sequence is over and the holdout's measurement window has closed", async () => {
    const ids = a.map((m) => m.id);
    const now = await engagedCustomers(h.db.sql, SHOP, h.clock.now, ids);
    expect([...now.values()].filter((e) => e.campaignId === first)).toHaveLength(a.length);
    const later = await engagedCustomers(h.db.sql, SHOP, new Date(h.clock.now.getTime() + 31 * 86_400_000), ids);
    // Holdout windows closed; treated members still have touches scheduled (no touch ran yet).
    expect([...later.values()].every((e) => e.reason === "active_sequence")).toBe(true);
    expect(later.size).toBe(a.filter((m) => !m.holdout).length);
  });

  it("VIP follow-ups stop once the concierge recorded contact; other VIPs still get theirs", async () => {
    const vips = a.filter((m) => !m.holdout && m.branch === "VIP");
    expect(vips.length).toBeGreaterThan(1);
    const [talked, other] = vips;
    await h.runDue({ queues: TOUCH_QUEUES }); // day 0 of both campaigns
    await h.db.sql.query(
      `UPDATE "OutreachTask" SET status = 'contacted', "contactedAt" = $3 WHERE "campaignId" = $1 AND "customerId" = $2`,
      [first, talked!.id, h.clock.now.toISOString()],
    );
    h.advanceDays(7);
    const before = h.mails.length;
    await h.runDue({ queues: TOUCH_QUEUES });
    const touch = async (id: string) =>
      (
        await h.db.sql.query<any>(`SELECT state, reason FROM "CampaignTouch" WHERE "campaignId" = $1 AND "customerId" = $2 AND day = 7`, [
          first,
          id,
        ])
      )[0];
    expect(await touch(talked!.id)).toMatchObject({ state: "canceled", reason: "concierge_contact" });
    expect(await touch(other!.id)).toMatchObject({ state: "sent" });
    const sentTo = h.mails.slice(before).map((m) => m.to);
    expect(sentTo).toContain(`c${other!.id}@example.com`);
    expect(sentTo).not.toContain(`c${talked!.id}@example.com`);
  }, 60_000);

  it("the campaigns list keeps treated and holdout reactivations apart", async () => {
    const treated = a.find((m) => !m.holdout && m.branch === "Standard")!;
    const holdout = a.find((m) => m.holdout)!;
    const at = h.clock.now.toISOString();
    for (const [i, cid] of [treated.id, holdout.id].entries()) {
      await h.db.sql.query(
        `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", test, "currentTotal", "totalPrice", currency, "discountCodes")
         VALUES ($1, $2, $3, '#R', $4, $4, $4, false, 70, 70, 'EUR', ARRAY[]::text[])`,
        [SHOP, String(991_000_000 + i), cid, at],
      );
      await onOrderChanged(h.deps, { shop: SHOP, orderId: String(991_000_000 + i), customerId: cid });
    }
    const list = await loadCampaignList(h.db.sql, SHOP);
    const row = list.campaigns.find((c) => c.id === first)!;
    expect(row).toMatchObject({
      reactivated: 1,
      holdoutReactivated: 1,
      treated: a.filter((m) => !m.holdout).length,
      holdout: a.filter((m) => m.holdout).length,
    });
  });

  it("stop ends the campaign for good: the code stops working in Shopify, no further touches, treated members exit", async () => {
    const c = await campaignRow(h.db, first);
    const std = a.filter((m) => !m.holdout && m.branch === "Standard" && m.exitReason === null);
    const pending = await h.db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 AND state = 'scheduled'`,
      [first],
    );
    expect(pending[0]!.n).toBeGreaterThan(0);
    const r = await stopCampaign(h.deps, SHOP, first);
    expect(r.discountEnded).toBe(true);
    expect(h.sync.emu.shop(SHOP).mutations.filter((m) => m.field === "discountCodeDeactivate")).toHaveLength(1);
    const after = await campaignRow(h.db, first);
    expect(after.status).toBe("stopped");
    expect(after.stoppedAt).not.toBeNull();
    expect(() =>
      h.sync.emu.createOrder(SHOP, {
        customerId: std[1]!.id,
        processedAt: new Date(Date.now() + 1000),
        lineItems: [{ productIndex: 0, quantity: 1 }],
        discountCodes: [c.discountCode],
      }),
    ).toThrow(/expired/);
    const states = await h.db.sql.query<{ state: string; reason: string | null; n: number }>(
      `SELECT state, reason, count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 AND state IN ('scheduled', 'held') GROUP BY 1, 2`,
      [first],
    );
    expect(states).toEqual([]);
    const ms = await members(h, first);
    expect(ms.filter((m) => !m.holdout && m.exitReason === null)).toEqual([]);
    expect(ms.filter((m) => m.holdout && m.exitReason !== null)).toEqual([]);
    // A touch job still in the queue sends nothing.
    h.advanceDays(3);
    const before = h.mails.length;
    const res = await runTouch(h.deps, { shop: SHOP, campaignId: first, customerId: std[2]!.id, day: 10 });
    expect(res.action).toBe("noop");
    expect(h.mails.length).toBe(before);
    await expect(stopCampaign(h.deps, SHOP, first)).rejects.toMatchObject({ code: "CONFLICT" });
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLaunch } from "../../app/campaigns/launch";
import { completeCampaign } from "../../app/campaigns/touch";
import { createMessenger } from "../../app/messaging/messenger";
import { parseMail, startSmtp, type TestSmtp } from "../messaging/support";
import { campaignHarness, campaignRow, SHOP, TOUCH_QUEUES, type CampaignHarness } from "./support";

describe("campaign emails through a real SMTP server", () => {
  let h: CampaignHarness;
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp();
    h = await campaignHarness("pglite", { vip: 2, standard: 12 });
    h.deps.messenger = createMessenger({
      sql: h.db.sql,
      transport: smtp.transport,
      appUrl: "https://winback.test",
      secret: "s3cret",
      from: "Winback <winback@shop.test>",
      now: () => h.clock.now,
    });
    await h.db.sql.query(`UPDATE "Customer" SET "emailConsent" = 'SUBSCRIBED', email = 'c' || id || '@example.com' WHERE shop = $1`, [
      SHOP,
    ]);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await smtp?.close();
  });

  it("day-0 touches arrive with the offer and one-click unsubscribe headers; completing the campaign cancels what is left", async () => {
    const { campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "smtp-campaign-0001",
      name: "SMTP",
      settings: { vip: { conciergeName: "Jo Park" } },
    });
    await h.runDue({ queues: ["campaign.launch"] });
    const c = await campaignRow(h.db, campaignId);
    await h.runDue({ queues: TOUCH_QUEUES });
    const treated = await h.db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout`,
      [campaignId],
    );
    expect(smtp.mails).toHaveLength(treated[0]!.n);
    const parsed = smtp.mails.map((m) => parseMail(m.raw));
    const std = parsed.find((m) => m.text.includes(`Code: ${c.discountCode}`))!;
    expect(std.header("List-Unsubscribe")).toMatch(/<https:\/\/winback\.test\/unsubscribe\/[^>]+>/);
    expect(std.header("List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(std.header("Subject")).toMatch(/^We miss you: 15% off until/);
    expect(std.html).toContain(`https://${SHOP}/discount/${c.discountCode}`);
    const vip = parsed.find((m) => m.text.includes("Jo Park"))!;
    expect(vip.text).not.toContain(c.discountCode);
    expect(vip.header("From")).toMatch(/Jo Park.*<winback@shop\.test>/);

    h.advanceDays(40);
    await completeCampaign(h.db.sql, SHOP, campaignId, h.clock.now);
    expect((await campaignRow(h.db, campaignId)).status).toBe("completed");
    const left = await h.db.sql.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 GROUP BY state ORDER BY state`,
      [campaignId],
    );
    expect(left.find((r) => r.state === "scheduled")).toBeUndefined();
    expect(left.find((r) => r.state === "canceled")!.n).toBeGreaterThan(0);
    const before = smtp.mails.length;
    await h.runDue({ queues: TOUCH_QUEUES });
    expect(smtp.mails.length).toBe(before);
  }, 60_000);
});

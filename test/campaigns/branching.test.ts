import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLaunch } from "../../app/campaigns/launch";
import { runTouch } from "../../app/campaigns/touch";
import { loadCampaignPage } from "../../app/campaigns/page.server";
import { recordClick, trackedBody } from "../../app/messaging/engagement";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, inspector, SHOP, TOUCH_QUEUES, type CampaignHarness, type SentMail } from "./support";

/*
 * Sequences that react (issue 15 item 3, docs/decisions/101-sequences-that-react.md): a later
 * Standard step with an `ifNoClick` branch. A customer who clicked the Day 0 link (through the
 * click redirect's use case, the signed token in the email) gets the normal Day 3 email; one who
 * did not gets the branch's subject and intro; a scanner's click does not count. A step without a
 * branch is the same for all. A Flow-channel branch fires the Flow trigger once and sends no email.
 * Day 3 and 6 run through the batched send path, day 10 through runTouch and the batch.
 */
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SCANNER = "Mozilla/5.0 (compatible; Barracuda link scanner)";
const BRANCH_SUBJECT = "Still thinking it over?";
const BRANCH_INTRO = "We kept your code for you. It still works for a few days.";

describe.each(databaseKinds)("sequences that react (%s)", (kind) => {
  let h: CampaignHarness;
  let campaignId: string;
  let standard: string[];
  const idOf = new Map<string, string>();
  const customerOf = (m: SentMail) => idOf.get((/<([^>]+)>/.exec(m.to)?.[1] ?? m.to).trim().toLowerCase())!;
  const touches = (day: number) =>
    h.db.sql.query<{ customerId: string; state: string; reason: string | null; variant: string | null; flowFired: boolean }>(
      `SELECT "customerId"::text AS "customerId", state, reason, variant, "flowFired" FROM "CampaignTouch"
        WHERE "campaignId" = $1 AND day = $2 AND branch = 'Standard' ORDER BY "customerId"`,
      [campaignId, day],
    );
  const clickFirstLink = async (customerId: string, ua: string) => {
    const mail = h.mails.find((m) => customerOf(m) === customerId)!;
    // The harness sends untracked; the body is tracked here exactly as the app's messenger does (trackEngagement).
    const [log] = await h.db.sql.query<{ id: string }>(`SELECT id FROM "MessageLog" WHERE shop = $1 AND "dedupeKey" = $2`, [
      SHOP,
      `campaign:${campaignId}:${customerId}:day0`,
    ]);
    const tracked = trackedBody("s3cret", "https://winback.test", { shop: SHOP, customerId, messageLogId: log!.id, campaignId }, mail);
    const token = /https:\/\/winback\.test\/t\/([A-Za-z0-9_.-]+)/.exec(tracked.html)![1]!;
    const r = await recordClick({ sql: h.db.sql, secret: "s3cret", now: () => h.clock.now }, token, ua);
    expect(r).toMatchObject({ status: 302, recorded: true });
  };
  const flowEvents = (customerId: string, day: number) =>
    inspector(h)
      .store("flowTriggers")
      .filter((f: any) => f.handle === "winback-touch" && f.payload["Touch day"] === day && String(f.payload.customer_id) === customerId);

  beforeAll(async () => {
    h = await campaignHarness(kind, { vip: 2, standard: 12 });
    await h.db.sql.query(
      `UPDATE "Customer" SET "emailConsent" = 'SUBSCRIBED', email = coalesce(email, 'c' || id || '@example.com') WHERE shop = $1`,
      [SHOP],
    );
    for (const r of await h.db.sql.query<{ id: string; email: string }>(
      `SELECT id::text AS id, lower(email) AS email FROM "Customer" WHERE shop = $1`,
      [SHOP],
    ))
      idOf.set(r.email, r.id);
    ({ campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "branching-campaign-01",
      name: "Reacting sequence",
      settings: {
        holdoutShare: 0,
        standard: {
          touchDays: [0, 3, 6, 10],
          ifNoClick: [
            { day: 3, subject: BRANCH_SUBJECT, intro: BRANCH_INTRO },
            { day: 10, channel: "flow" },
          ],
        },
      },
    }));
    await h.runDue({ queues: ["campaign.launch"] });
    expect((await campaignRow(h.db, campaignId)).status).toBe("active");
    await h.runDue({ queues: TOUCH_QUEUES });
    standard = (await touches(0)).filter((t) => t.state === "sent").map((t) => t.customerId);
    expect(standard.length).toBeGreaterThanOrEqual(4);
    // Day 0 never branches: there is no earlier message to click.
    expect((await touches(0)).every((t) => t.variant === null)).toBe(true);
  }, 180_000);
  afterAll(async () => h?.close());

  it("the settings refuse a branch on day 0 or on a day that is no step", async () => {
    const bad = (ifNoClick: unknown[]) =>
      requestLaunch(h.deps, {
        shop: SHOP,
        launchKey: `branching-bad-${JSON.stringify(ifNoClick).length}`,
        name: "Bad",
        settings: { standard: { touchDays: [0, 3, 10], ifNoClick } } as never,
      });
    await expect(bad([{ day: 4, subject: "x" }])).rejects.toThrow(/not a later Standard step/);
    await expect(bad([{ day: 0, subject: "x" }])).rejects.toThrow();
    await expect(bad([{ day: 3, channel: "email" }])).rejects.toThrow(/own subject or intro/);
  });

  it("day 3 (batched): who clicked the day-0 link gets the normal reminder, who did not (or only a scanner did) gets the branch", async () => {
    const [clicker, scanned] = standard;
    h.advanceDays(1);
    await clickFirstLink(clicker!, CHROME);
    await clickFirstLink(scanned!, SCANNER);
    h.advanceDays(2);
    const before = h.mails.length;
    await h.runDue({ queues: TOUCH_QUEUES });
    const day3 = h.mails.slice(before);
    expect(day3.map(customerOf).sort()).toEqual([...standard].sort());
    const main = day3.find((m) => customerOf(m) === clicker)!;
    expect(main.subject).not.toBe(BRANCH_SUBJECT);
    expect(main.text).not.toContain(BRANCH_INTRO);
    for (const m of day3.filter((x) => customerOf(x) !== clicker)) {
      expect(m.subject).toBe(BRANCH_SUBJECT);
      expect(m.text).toContain(BRANCH_INTRO);
    }
    const rows = await touches(3);
    expect(rows.find((t) => t.customerId === clicker)).toMatchObject({ state: "sent", variant: "main" });
    expect(rows.find((t) => t.customerId === scanned)).toMatchObject({ state: "sent", variant: "no_click" });
    expect(rows.filter((t) => t.variant === "no_click")).toHaveLength(standard.length - 1);
  }, 60_000);

  it("day 6 has no branch: everyone gets the same reminder and no variant is recorded", async () => {
    h.advanceDays(3);
    const before = h.mails.length;
    await h.runDue({ queues: TOUCH_QUEUES });
    const day6 = h.mails.slice(before);
    expect(day6).toHaveLength(standard.length);
    expect(new Set(day6.map((m) => m.subject)).size).toBe(1);
    expect(day6[0]!.subject).not.toBe(BRANCH_SUBJECT);
    expect((await touches(6)).every((t) => t.state === "sent" && t.variant === null)).toBe(true);
  }, 60_000);

  it("day 10, channel flow: the non-clicker's Flow trigger fires once and no email goes out (runTouch and batch alike)", async () => {
    const [clicker, , direct] = standard;
    h.advanceDays(4);
    const before = h.mails.length;
    // One touch through runTouch itself, the others through their batch job.
    expect(await runTouch(h.deps, { shop: SHOP, campaignId, customerId: direct!, day: 10 })).toEqual({
      action: "sent",
      reason: "flow_only",
    });
    await h.runDue({ queues: TOUCH_QUEUES });
    // The VIPs' day-7 notes fell due meanwhile; of the Standard members only the clicker is emailed.
    const day10 = h.mails.slice(before).map(customerOf);
    expect(day10.filter((id) => standard.includes(id))).toEqual([clicker]);
    const rows = await touches(10);
    expect(rows.find((t) => t.customerId === clicker)).toMatchObject({ state: "sent", reason: null, variant: "main", flowFired: true });
    for (const t of rows.filter((x) => x.customerId !== clicker))
      expect(t).toMatchObject({ state: "sent", reason: "flow_only", variant: "no_click", flowFired: true });
    for (const id of standard.filter((x) => x !== clicker)) {
      const events = flowEvents(id, 10);
      expect(events).toHaveLength(1);
      expect(events[0].payload["Branch"]).toBe("standard_no_click");
    }
    expect(flowEvents(clicker!, 10).map((f: any) => f.payload["Branch"])).toEqual(["standard"]);
    // The campaign page counts each reacting step's variants.
    const n = standard.length;
    expect((await loadCampaignPage(h.deps, SHOP, campaignId)).variants).toEqual([
      { day: 3, variant: "main", sent: 1, flowOnly: 0 },
      { day: 3, variant: "no_click", sent: n - 1, flowOnly: 0 },
      { day: 10, variant: "main", sent: 1, flowOnly: 0 },
      { day: 10, variant: "no_click", sent: n - 1, flowOnly: n - 1 },
    ]);
    // A duplicated job or a retry fires nothing again.
    await runTouch(h.deps, { shop: SHOP, campaignId, customerId: direct!, day: 10 });
    expect(flowEvents(direct!, 10)).toHaveLength(1);
  }, 60_000);
});

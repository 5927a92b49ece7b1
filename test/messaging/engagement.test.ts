import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadCustomerProfile } from "../../app/analysis/customer-profile.server";
import { discountCodeFor } from "../../app/domain/campaigns";
import { campaignUtm, recordClick, recordOpen, type EngagementDeps } from "../../app/messaging/engagement";
import { campaignMessageCounts } from "../../app/messaging/feedback";
import { createMessenger } from "../../app/messaging/messenger";
import {
  campaignEngagement,
  customerEngagement,
  engagementOfMessages,
  exportCustomerData,
  messagesOfCustomer,
  redactCustomers,
  redactShop,
} from "../../app/messaging/store";
import { createClickToken, createOpenToken } from "../../app/messaging/token";
import { classifyUserAgent, isMachineOpen, linkTargets, trackEmail, withUtm } from "../../app/messaging/tracking";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { APP_URL, Clock, SECRET, SHOP, parseMail, seedCustomer, seedShop, startSmtp, type TestSmtp } from "./support";

const BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const CAMPAIGN = "cmp-engage-1";
const DISCOUNT = `https://${SHOP}/discount/WB-7Q2F?redirect=%2Fcollections%2Fall&x=1`;

describe("tracking rules (pure)", () => {
  it("classes user agents: bare Mozilla/5.0 is Apple MPP, GoogleImageProxy a proxy, a real browser a browser", () => {
    expect(classifyUserAgent("Mozilla/5.0")).toBe("apple_mpp");
    expect(classifyUserAgent("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)")).toBe(
      "image_proxy",
    );
    expect(classifyUserAgent(BROWSER)).toBe("browser");
    expect(classifyUserAgent("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5)")).toBe("mail_client");
    expect(classifyUserAgent("curl/8.5.0")).toBe("bot");
    expect(classifyUserAgent("")).toBe("unknown");
  });

  it("an open is a machine's by its agent or when it comes seconds after the send", () => {
    const sent = new Date("2026-11-20T09:00:00Z");
    expect(isMachineOpen("apple_mpp", new Date(sent.getTime() + 3_600_000), sent)).toBe(true);
    expect(isMachineOpen("browser", new Date(sent.getTime() + 2_000), sent)).toBe(true);
    expect(isMachineOpen("browser", new Date(sent.getTime() + 60_000), sent)).toBe(false);
    expect(isMachineOpen("mail_client", new Date(sent.getTime() + 60_000), sent)).toBe(false);
  });

  it("rewrites http(s) hrefs and the same URLs in the text, leaves mailto alone, escapes &, appends the pixel", () => {
    const html = `<p><a href="${DISCOUNT.replace(/&/g, "&amp;")}">Shop</a> <a href="mailto:hi@x.com">mail</a> <a href="https://${SHOP}">home</a></p>`;
    expect(linkTargets(html)).toEqual([DISCOUNT, `https://${SHOP}`]);
    const out = trackEmail(
      { html, text: `Shop: ${DISCOUNT}\nHome: https://${SHOP}` },
      { targets: linkTargets(html), urlFor: (i) => `https://app.test/t/T${i}?a=1&b=2`, pixelUrl: "https://app.test/o/P" },
    );
    expect(out.html).toContain(`href="https://app.test/t/T0?a=1&amp;b=2"`);
    expect(out.html).toContain(`href="https://app.test/t/T1?a=1&amp;b=2"`);
    expect(out.html).toContain(`href="mailto:hi@x.com"`);
    expect(out.html).not.toContain("discount/WB-7Q2F");
    expect(out.html).toMatch(/<img src="https:\/\/app\.test\/o\/P" width="1" height="1"/);
    expect(out.text).toBe(`Shop: https://app.test/t/T0?a=1&b=2\nHome: https://app.test/t/T1?a=1&b=2`);
  });

  it("adds the campaign's UTM parameters, keeping ones the link already has", () => {
    const utm = campaignUtm(CAMPAIGN)!;
    expect(utm).toEqual({ source: "winback", medium: "email", campaign: discountCodeFor(CAMPAIGN).toLowerCase() });
    const u = new URL(withUtm(DISCOUNT, utm));
    expect(u.searchParams.get("redirect")).toBe("/collections/all");
    expect(u.searchParams.get("utm_campaign")).toBe(utm.campaign);
    expect(new URL(withUtm("https://x.test/?utm_source=newsletter", utm)).searchParams.get("utm_source")).toBe("newsletter");
    expect(campaignUtm(undefined)).toBeNull();
  });
});

describe.each(databaseKinds)("engagement tracking end to end (%s)", (kind) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let clock: Clock;
  let deps: EngagementDeps;
  const rows = () =>
    t.db.sql.query<any>(`SELECT kind, machine, "userAgentClass", "linkIndex", link, "campaignId" FROM "EmailEngagement" ORDER BY at, id`);

  beforeAll(async () => {
    t = await createTestDb(kind);
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
    await t.drop();
  });
  beforeEach(async () => {
    clock = new Clock();
    deps = { sql: t.db.sql, secret: SECRET, now: clock.now };
    smtp.mails.length = 0;
    await t.db.sql.exec(`DELETE FROM "EmailEngagement"; DELETE FROM "MessageLog"; DELETE FROM "Customer"; DELETE FROM "Shop"`);
    await seedShop(t.db.sql);
    for (const id of ["1001", "1002"]) await seedCustomer(t.db.sql, id);
  });

  async function send(customerId = "1001", trackEngagement = true) {
    const m = createMessenger({
      sql: t.db.sql,
      transport: smtp.transport,
      appUrl: APP_URL,
      secret: SECRET,
      from: "W <w@x.test>",
      now: clock.now,
      trackEngagement,
    });
    const out = await m.sendEmail({
      shop: SHOP,
      customerId,
      kind: "winback_standard",
      dedupeKey: `campaign:${CAMPAIGN}:${customerId}:day0`,
      campaignId: CAMPAIGN,
      content: {
        template: "winback_standard",
        stage: "first",
        firstName: "Ada",
        discount: { percent: 15 },
        code: "WB-7Q2F",
        endsAt: "2026-12-04T00:00:00Z",
        link: DISCOUNT,
      },
    });
    expect(out.status).toBe("sent");
    const mail = parseMail(smtp.mails[smtp.mails.length - 1]!.raw);
    const logId = mail.header("X-Winback-Message")!;
    return { mail, logId };
  }
  const tokenOf = (html: string, route: "t" | "o") =>
    new RegExp(`${APP_URL.replace(/\./g, "\\.")}/${route}/([A-Za-z0-9_.-]+)`).exec(html)![1]!;

  it("a sent email's links go through signed redirects; a click lands on the signed target with UTM, once unique, twice total", async () => {
    const { mail, logId } = await send();
    expect(mail.html).not.toContain("/discount/WB-7Q2F");
    expect(mail.text).not.toContain("/discount/WB-7Q2F");
    // The unsubscribe link stays direct (RFC 8058 and an unsubscribe never depends on the tracker).
    expect(mail.html).toMatch(/href="https:\/\/winback\.test\/unsubscribe\/v1\./);
    const token = tokenOf(mail.html, "t");
    expect(mail.text).toContain(`${APP_URL}/t/${token}`);

    clock.advanceHours(2);
    const first = await recordClick(deps, token, BROWSER);
    expect(first).toMatchObject({ status: 302, recorded: true });
    const location = new URL((first as { location: string }).location);
    expect(`${location.origin}${location.pathname}`).toBe(`https://${SHOP}/discount/WB-7Q2F`);
    expect(location.searchParams.get("redirect")).toBe("/collections/all");
    expect(location.searchParams.get("utm_source")).toBe("winback");
    expect(location.searchParams.get("utm_medium")).toBe("email");
    expect(location.searchParams.get("utm_campaign")).toBe(discountCodeFor(CAMPAIGN).toLowerCase());
    await recordClick(deps, token, BROWSER);

    expect(await rows()).toEqual([
      { kind: "click", machine: false, userAgentClass: "browser", linkIndex: 0, link: DISCOUNT, campaignId: CAMPAIGN },
      { kind: "click", machine: false, userAgentClass: "browser", linkIndex: 0, link: DISCOUNT, campaignId: CAMPAIGN },
    ]);
    expect(await campaignEngagement(t.db.sql, CAMPAIGN)).toEqual({ uniqueClicks: 1, clicks: 2, humanOpens: 0, machineOpens: 0 });
    expect(await campaignMessageCounts(t.db.sql, CAMPAIGN)).toMatchObject({ delivered: 1, clicks: 2, uniqueClicks: 1, humanOpens: 0 });
    const per = (await engagementOfMessages(t.db.sql, SHOP, [logId])).get(logId)!;
    expect(per).toMatchObject({ clicked: true, clicks: 2, opened: false });
    expect((await customerEngagement(t.db.sql, SHOP, "1001")).clicks).toBe(2);
    expect((await customerEngagement(t.db.sql, SHOP, "1002")).clicks).toBe(0);
    // The customer profile's message list (app/analysis/customer-profile.server.ts) reads these flags.
    expect((await messagesOfCustomer(t.db.sql, SHOP, "1001")).map((m) => [m.id, m.opened, m.clicked])).toEqual([[logId, false, true]]);
    const profile = await loadCustomerProfile(t.db.sql, SHOP, "1001");
    expect(profile.messages.map((m) => [m.clicked, m.opened])).toEqual([[true, false]]);
  });

  it("a forged or tampered click token is a 400 and records nothing; another target needs another signature", async () => {
    const { mail, logId } = await send();
    const token = tokenOf(mail.html, "t");
    const [v, payload, sig] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const evil = Buffer.from(JSON.stringify({ ...claims, u: "https://evil.example/phish" })).toString("base64url");
    expect(await recordClick(deps, `${v}.${evil}.${sig}`, BROWSER)).toEqual({ status: 400, error: expect.stringMatching(/signature/) });
    const wrongKey = createClickToken("another-secret", {
      shop: SHOP,
      customerId: "1001",
      messageLogId: logId,
      linkIndex: 0,
      target: "https://evil.example",
    });
    expect((await recordClick(deps, wrongKey, BROWSER)).status).toBe(400);
    expect((await recordClick(deps, "not-a-token", BROWSER)).status).toBe(400);
    // An open token is not a click token (different prefix and HMAC domain).
    expect((await recordClick(deps, tokenOf(mail.html, "o"), BROWSER)).status).toBe(400);
    expect(await rows()).toEqual([]);
  });

  it("the open pixel records opens; Apple MPP's bare agent, Google's proxy and loads seconds after the send are machine opens", async () => {
    const { mail, logId } = await send();
    const token = tokenOf(mail.html, "o");
    clock.t += 2_000; // a prefetch right after delivery, even with a browser's agent
    expect(await recordOpen(deps, token, BROWSER)).toEqual({ status: 200, recorded: true, machine: true });
    clock.advanceHours(1);
    expect(await recordOpen(deps, token, "Mozilla/5.0")).toMatchObject({ machine: true });
    expect(
      await recordOpen(deps, token, "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"),
    ).toMatchObject({ machine: true });
    expect((await engagementOfMessages(t.db.sql, SHOP, [logId])).get(logId)).toMatchObject({ opened: false, machineOpened: true });
    expect((await messagesOfCustomer(t.db.sql, SHOP, "1001")).map((m) => [m.opened, m.clicked])).toEqual([[false, false]]);
    expect(await campaignEngagement(t.db.sql, CAMPAIGN)).toMatchObject({ humanOpens: 0, machineOpens: 1 });

    expect(await recordOpen(deps, token, BROWSER)).toMatchObject({ recorded: true, machine: false });
    expect((await engagementOfMessages(t.db.sql, SHOP, [logId])).get(logId)).toMatchObject({ opened: true, machineOpened: false });
    expect((await messagesOfCustomer(t.db.sql, SHOP, "1001")).map((m) => [m.opened, m.clicked])).toEqual([[true, false]]);
    expect(await campaignEngagement(t.db.sql, CAMPAIGN)).toMatchObject({ humanOpens: 1, machineOpens: 0 });
    expect((await rows()).map((r) => r.userAgentClass).sort()).toEqual(["apple_mpp", "browser", "browser", "image_proxy"]);
    expect((await recordOpen(deps, token.slice(0, -2) + "xx", BROWSER)).status).toBe(400);
    expect(await rows()).toHaveLength(4);
  });

  it("redaction empties the table (and a later click on an old email brings nothing back); export includes it", async () => {
    const a = await send("1001");
    const b = await send("1002");
    clock.advanceHours(1);
    await recordClick(deps, tokenOf(a.mail.html, "t"), BROWSER);
    await recordOpen(deps, tokenOf(b.mail.html, "o"), BROWSER);
    expect((await exportCustomerData(t.db.sql, SHOP, ["1001"])).EmailEngagement).toHaveLength(1);

    await t.db.sql.transaction((tx) => redactCustomers(tx, SHOP, ["1001"]));
    expect((await rows()).map((r) => r.kind)).toEqual(["open"]);
    // The redirect still works (the reader reaches the shop), but no row names the redacted customer again.
    expect(await recordClick(deps, tokenOf(a.mail.html, "t"), BROWSER)).toMatchObject({ status: 302, recorded: false });
    expect((await rows()).map((r) => r.kind)).toEqual(["open"]);

    await t.db.sql.transaction((tx) => redactShop(tx, SHOP));
    expect(await rows()).toEqual([]);
  });

  it("without trackEngagement the links stay direct (direct callers and tests); a token for a message of another customer records nothing", async () => {
    const { mail, logId } = await send("1001", false);
    expect(mail.html).toContain(`/discount/WB-7Q2F`);
    expect(mail.html).not.toContain(`${APP_URL}/o/`);
    const mismatched = createOpenToken(SECRET, { shop: SHOP, customerId: "1002", messageLogId: logId });
    expect(await recordOpen(deps, mismatched, BROWSER)).toEqual({ status: 200, recorded: false, machine: false });
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { startSmtp, parseMail } from "./support";

// The production wiring (messenger() → mailTransport() from SMTP_URL) talks to a real SMTP server.
const smtp = await startSmtp();
// The relay signs feedback with its own secret (MAIL_RELAY_SECRET, min 32 chars), not the app's.
const RELAY_SECRET = "relay-secret-for-the-feedback-route-0123456789";
setAppEnv({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: "Fern & Fig <hello@fernfig.example>", MAIL_RELAY_SECRET: RELAY_SECRET });
afterAll(() => smtp.close());

const { loader: unsubLoader, action: unsubAction } = await import("../../app/routes/unsubscribe.$token");
const oneClick = await import("../../app/routes/unsubscribe.one-click.$token");
const { action: feedbackAction, loader: feedbackLoader } = await import("../../app/routes/email.feedback");
const { database } = await import("../../app/db.server");
const { jobDefinitions } = await import("../../app/app.server");
const { createUnsubscribeToken, signBody } = await import("../../app/messaging/token");
const { messenger } = (await import("../../app/app.server")).messaging;
const { campaignMessageCounts } = await import("../../app/messaging/feedback");

const SHOP = TEST_APP.shop;
const sql = () => database.sql;
const ctx = { context: {} };

function tokenFor(customerId: string, campaignId = "cmp-A") {
  return createUnsubscribeToken(TEST_APP.apiSecret, { shop: SHOP, customerId, campaignId, messageLogId: `log-${customerId}` });
}

function post(token: string, body: string, contentType = "application/x-www-form-urlencoded") {
  return new Request(`${TEST_APP.appUrl}/unsubscribe/${token}`, { method: "POST", body, headers: { "Content-Type": contentType } });
}

const get = (token: string) => new Request(`${TEST_APP.appUrl}/unsubscribe/${token}`);

async function suppression(customerId: string) {
  return (
    await sql().query<any>(
      `SELECT source, "campaignId", "messageLogId", email FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = $2`,
      [SHOP, customerId],
    )
  )[0];
}
async function consent(customerId: string) {
  return (await sql().query<any>(`SELECT "emailConsent" FROM "Customer" WHERE shop = $1 AND id = $2`, [SHOP, customerId]))[0]?.emailConsent;
}
async function consentJobs() {
  return sql().query<any>(`SELECT payload, "singletonKey", state FROM "Job" WHERE queue = 'messaging.consent' ORDER BY "createdAt"`);
}

beforeAll(async () => {
  await database.ready();
  // Marketing email needs the shop's postal address (ADR 080).
  await sql().query(
    `INSERT INTO "Shop" (domain, name, settings, "updatedAt") VALUES ($1, 'Fern & Fig', $2::jsonb, now()) ON CONFLICT (domain) DO NOTHING`,
    [SHOP, JSON.stringify({ messaging: { postalAddress: "Fern & Fig, Hauptstraße 1, 10115 Berlin" } })],
  );
  for (const id of ["501", "502", "503", "504", "505"]) {
    await sql().query(`INSERT INTO "Customer" (shop, id, email, "emailConsent") VALUES ($1, $2, $3, 'SUBSCRIBED')`, [
      SHOP,
      id,
      `c${id}@example.com`,
    ]);
  }
});

describe("unsubscribe route", () => {
  it("registers the messaging.consent job in the composition root", () => {
    expect(jobDefinitions.map((d) => d.queue)).toContain("messaging.consent");
  });

  it("GET shows the confirmation page data and does not unsubscribe (mail scanners prefetch links)", async () => {
    const res = await unsubLoader({ request: get(tokenFor("501")), params: { token: tokenFor("501") }, ...ctx });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ ok: true, shopName: "Fern & Fig", done: false, locale: "en" });
    expect(await suppression("501")).toBeUndefined();
    expect(await consent("501")).toBe("SUBSCRIBED");
    expect(await consentJobs()).toEqual([]);
  });

  it("RFC 8058 one-click POST unsubscribes with nothing else required: 200, suppression, local consent, one consent job; a repeat is idempotent", async () => {
    const t = tokenFor("502");
    const res = await unsubAction({ request: post(t, "List-Unsubscribe=One-Click"), params: { token: t }, ...ctx });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, shopName: "Fern & Fig", done: true, locale: "en" });
    expect(await suppression("502")).toEqual({
      source: "one_click",
      campaignId: "cmp-A",
      messageLogId: "log-502",
      email: "c502@example.com",
    });
    expect(await consent("502")).toBe("UNSUBSCRIBED");
    const again = await unsubAction({ request: post(t, "List-Unsubscribe=One-Click"), params: { token: t }, ...ctx });
    expect(again.status).toBe(200);
    const jobs = await consentJobs();
    expect(jobs).toHaveLength(1); // singleton per customer while queued
    expect(jobs[0]).toMatchObject({
      payload: { shop: SHOP, customerId: "502" },
      singletonKey: `messaging.consent:${SHOP}:502`,
      state: "created",
    });
    // The page's own button (a plain form POST) is recorded as a link unsubscribe; GET now says "done".
    const t3 = tokenFor("503", "cmp-B");
    expect((await unsubAction({ request: post(t3, "confirm=1"), params: { token: t3 }, ...ctx })).status).toBe(200);
    expect(await suppression("503")).toMatchObject({ source: "link", campaignId: "cmp-B" });
    expect(await (await unsubLoader({ request: get(t3), params: { token: t3 }, ...ctx })).json()).toMatchObject({ done: true });
  });

  it("forged and malformed tokens: 403 / 400 with a clear message, nothing recorded, on POST and GET", async () => {
    const forged = createUnsubscribeToken("not-the-app-secret", { shop: SHOP, customerId: "504" });
    const r1 = await unsubAction({ request: post(forged, "List-Unsubscribe=One-Click"), params: { token: forged }, ...ctx });
    expect(r1.status).toBe(403);
    expect(await r1.json()).toEqual({ ok: false, error: "This unsubscribe link is not valid (signature mismatch).", locale: "en" });
    const r2 = await unsubAction({ request: post("garbage", "List-Unsubscribe=One-Click"), params: { token: "garbage" }, ...ctx });
    expect(r2.status).toBe(400);
    expect(((await r2.json()) as { error: string }).error).toMatch(/malformed/);
    expect((await unsubLoader({ request: get(forged), params: { token: forged }, ...ctx })).status).toBe(403);
    expect(await suppression("504")).toBeUndefined();
    expect(await consent("504")).toBe("SUBSCRIBED");
  });
});

describe("email feedback route", () => {
  const feedback = (body: string, sig: string | null) =>
    feedbackAction({
      request: new Request(`${TEST_APP.appUrl}/email/feedback`, {
        method: "POST",
        body,
        headers: { "Content-Type": "application/json", ...(sig ? { "X-Winback-Signature": sig } : {}) },
      }),
      params: {},
      ...ctx,
    });

  beforeAll(async () => {
    await sql().query(
      `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, "messageId", "toAddress", "updatedAt", "sentAt")
       VALUES ('log-504', $1, 504, 'winback_standard', 'cmp-A:504:day0', 'cmp-A', 'sent', '<m504@winback.test>', 'c504@example.com', now(), now())`,
      [SHOP],
    );
  });

  it("a signed complaint is recorded once and suppresses the customer; bad or missing signatures are 401", async () => {
    const body = JSON.stringify({ type: "complaint", messageId: "<m504@winback.test>" });
    expect((await feedback(body, signBody(RELAY_SECRET, "{}"))).status).toBe(401);
    // The app's secret is not the relay's: a body signed with it is refused.
    expect((await feedback(body, signBody(TEST_APP.apiSecret, body))).status).toBe(401);
    expect((await feedback(body, null)).status).toBe(401);
    expect(await suppression("504")).toBeUndefined();
    const ok = await feedback(body, signBody(RELAY_SECRET, body));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, recorded: true, type: "complaint" });
    expect(((await (await feedback(body, signBody(RELAY_SECRET, body))).json()) as { recorded: boolean }).recorded).toBe(false);
    expect(await suppression("504")).toMatchObject({ source: "complaint", campaignId: "cmp-A", messageLogId: "log-504" });
    expect(await consent("504")).toBe("UNSUBSCRIBED");
  });

  it("malformed bodies are 400, unknown messages 404, GET 405", async () => {
    const notJson = "type=complaint";
    expect((await feedback(notJson, signBody(RELAY_SECRET, notJson))).status).toBe(400);
    const badType = JSON.stringify({ type: "spam", messageId: "<m504@winback.test>" });
    expect((await feedback(badType, signBody(RELAY_SECRET, badType))).status).toBe(400);
    const unknown = JSON.stringify({ type: "bounce", messageId: "<nope@winback.test>" });
    expect((await feedback(unknown, signBody(RELAY_SECRET, unknown))).status).toBe(404);
    expect((await feedbackLoader()).status).toBe(405);
  });
});

describe("email to unsubscribe, end to end", () => {
  it("the List-Unsubscribe URL of a delivered email works with a one-click POST, and the next touch is skipped", async () => {
    smtp.mails.length = 0;
    {
      const m = messenger();
      const base = {
        shop: SHOP,
        customerId: "505",
        kind: "winback_standard" as const,
        campaignId: "cmp-E",
        subject: "Hi",
        text: "Come back",
        html: "<p>Come back</p>",
      };
      expect((await m.sendEmail({ ...base, dedupeKey: "cmp-E:505:day0" })).status).toBe("sent");
      const header = parseMail(smtp.mails[0]!.raw).header("List-Unsubscribe")!;
      const url = new URL(/^<([^>]+)>$/.exec(header)![1]!);
      expect(url.origin).toBe(TEST_APP.appUrl);
      expect(url.pathname).toMatch(/^\/unsubscribe\/one-click\/v1\./);
      const tokenParam = url.pathname.replace(/^\/unsubscribe\/one-click\//, "");
      // GET (a scanner following the link) only redirects to the confirmation page.
      const scanned = await oneClick.loader({ request: new Request(url), params: { token: tokenParam }, ...ctx });
      expect([scanned.status, scanned.headers.get("Location")]).toEqual([302, `/unsubscribe/${tokenParam}`]);
      expect(await m.sendEmail({ ...base, dedupeKey: "points:505:lot1:T-7", kind: "points_nudge", campaignId: undefined })).toMatchObject({
        status: "sent",
      });
      // A mailbox provider's POST from its own origin: nothing but the token is needed.
      const post1 = () =>
        new Request(url, {
          method: "POST",
          body: "List-Unsubscribe=One-Click",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "https://mail.example.net" },
        });
      const res = await oneClick.action({ request: post1(), params: { token: tokenParam }, ...ctx });
      expect([res.status, await res.text()]).toEqual([200, "Unsubscribed."]);
      expect((await oneClick.action({ request: post1(), params: { token: tokenParam }, ...ctx })).status).toBe(200);
      const forged = await oneClick.action({ request: post1(), params: { token: tokenParam.slice(0, -2) + "xx" }, ...ctx });
      expect(forged.status).toBe(403);
      expect(await suppression("505")).toMatchObject({ source: "one_click", campaignId: "cmp-E" });
      expect(await m.sendEmail({ ...base, dedupeKey: "cmp-E:505:day3" })).toEqual({ status: "skipped", reason: "unsubscribed" });
      expect(await campaignMessageCounts(sql(), "cmp-E")).toEqual({
        delivered: 1,
        unsubscribed: 1,
        complaints: 0,
        clicks: 0,
        uniqueClicks: 0,
        humanOpens: 0,
      });
      expect(smtp.mails).toHaveLength(2);
      expect(smtp.mails[0]!.from).toBe("hello@fernfig.example");
    }
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Transporter } from "nodemailer";
import { createMessenger, forgetShopMailContext, type MessengerDeps } from "../../app/messaging/messenger";
import { campaignMessageCounts, receiveFeedback } from "../../app/messaging/feedback";
import { signBody, verifyUnsubscribeToken } from "../../app/messaging/token";
import { suppressCustomer } from "../../app/messaging/unsubscribe";
import type { OutboundEmail } from "../../app/messaging/types";
import { AppError } from "../../app/lib/errors";
import { exportCustomerData, redactCustomer } from "../../app/compliance.server";
import { createFlowTriggers } from "../../app/messaging/flow";
import { exportCustomerData as exportMessagingCustomers, redactCustomers as redactMessagingCustomers } from "../../app/messaging/store";
import type { Sql } from "../../app/db/sql";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { APP_URL, Clock, SECRET, SHOP, parseMail, seedCustomer, seedShop, startSmtp, type TestSmtp } from "./support";

const mail = (over: Partial<OutboundEmail> = {}): OutboundEmail => ({
  shop: SHOP,
  customerId: "1001",
  kind: "winback_standard",
  dedupeKey: "campaign:A:1001:day0",
  campaignId: "A",
  subject: "We miss you: 15% off until 4 Dec",
  text: "Hi Ada,\n\nUse WINBACK-7Q2F for 15% off until 4 December.",
  html: "<html><body><p>Hi Ada,</p><p>Use <b>WINBACK-7Q2F</b> for 15% off until 4 December.</p></body></html>",
  ...over,
});

describe.each(databaseKinds)("messenger (%s)", (kind) => {
  let t: TestDb;
  let smtp: TestSmtp;
  let clock: Clock;
  const jobs: Array<{ queue: string; payload: any }> = [];
  const queue = { send: async (q: string, payload: unknown) => (jobs.push({ queue: q, payload }), "job") };
  const make = (over: Partial<MessengerDeps> = {}) =>
    createMessenger({
      sql: t.db.sql,
      transport: smtp.transport,
      appUrl: APP_URL,
      secret: SECRET,
      from: "Winback <winback@fernfig.example>",
      now: clock.now,
      ...over,
    });
  const log = async (key: string) =>
    (
      await t.db.sql.query<any>(
        `SELECT status, reason, "messageId", "toAddress", attempts, "sentAt", error FROM "MessageLog" WHERE shop = $1 AND "dedupeKey" = $2`,
        [SHOP, key],
      )
    )[0];

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
    smtp.mails.length = 0;
    smtp.refuse.clear();
    jobs.length = 0;
    await t.db.sql.exec(
      `DELETE FROM "MessageLog"; DELETE FROM "EmailSuppression"; DELETE FROM "EmailFeedback"; DELETE FROM "FlowTriggerLog"; DELETE FROM "Customer"; DELETE FROM "Shop"`,
    );
    await seedShop(t.db.sql);
    for (const id of ["1001", "1002", "1003"]) await seedCustomer(t.db.sql, id);
  });

  it("delivers through SMTP with RFC 8058 headers, From/To/Subject, and the unsubscribe footer in text and HTML", async () => {
    const out = await make().sendEmail(mail({ fromName: "Mia from Fern & Fig", replyTo: "mia@fernfig.example" }));
    expect(out.status).toBe("sent");
    if (out.status !== "sent") return;
    expect(smtp.mails).toHaveLength(1);
    const m = parseMail(smtp.mails[0]!.raw);
    expect(smtp.mails[0]!.to).toEqual(["c1001@example.com"]);
    expect(smtp.mails[0]!.from).toBe("winback@fernfig.example");
    expect(m.header("From")).toMatch(/Mia from Fern & Fig.*<winback@fernfig\.example>/);
    expect(m.header("To")).toBe("c1001@example.com");
    expect(m.header("Reply-To")).toBe("mia@fernfig.example");
    expect(m.header("Subject")).toBe("We miss you: 15% off until 4 Dec");
    expect(m.header("Message-ID")).toBe(out.messageId);
    expect(m.header("List-Unsubscribe")).toBe(`<${out.unsubscribeUrl.replace("/unsubscribe/", "/unsubscribe/one-click/")}>`);
    expect(m.header("List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(out.unsubscribeUrl).toMatch(/^https:\/\/winback\.test\/unsubscribe\/v1\.[\w-]+\.[\w-]+$/);
    expect(m.text).toContain("Use WINBACK-7Q2F for 15% off");
    expect(m.text).toContain(`Unsubscribe with one click: ${out.unsubscribeUrl}`);
    expect(m.html).toContain("<b>WINBACK-7Q2F</b>");
    expect(m.html).toContain(`<a href="${out.unsubscribeUrl}"`);
    expect(m.html.indexOf("Unsubscribe</a>")).toBeLessThan(m.html.indexOf("</body>"));
    const claims = verifyUnsubscribeToken(SECRET, out.unsubscribeUrl.split("/").pop()!);
    const row = await log("campaign:A:1001:day0");
    expect(claims).toMatchObject({ shop: SHOP, customerId: "1001", campaignId: "A" });
    expect(row).toMatchObject({ status: "sent", reason: null, messageId: out.messageId, toAddress: "c1001@example.com", attempts: 1 });
    expect(row.sentAt.toISOString()).toBe(clock.now().toISOString());
  });

  it("adds a mailto List-Unsubscribe when configured and falls back to the MAIL_FROM name, then the shop name", async () => {
    const out = await make({ unsubscribeMailto: "unsubscribe@fernfig.example", from: "winback@fernfig.example" }).sendEmail(mail());
    expect(out.status).toBe("sent");
    const m = parseMail(smtp.mails[0]!.raw);
    expect(m.header("List-Unsubscribe")).toMatch(
      /^<https:\/\/winback\.test\/unsubscribe\/one-click\/[^>]+>, <mailto:unsubscribe@fernfig\.example\?subject=unsubscribe>$/,
    );
    expect(m.header("From")).toMatch(/Fern & Fig.*<winback@fernfig\.example>/);
  });

  it("consent gate: NOT_SUBSCRIBED, no email, unknown customer, unsubscribed through Winback (also by address) are skipped and recorded", async () => {
    await seedCustomer(t.db.sql, "2001", { consent: "NOT_SUBSCRIBED" });
    await seedCustomer(t.db.sql, "2002", { email: null });
    await seedCustomer(t.db.sql, "2003", { consent: "PENDING" });
    await seedCustomer(t.db.sql, "2004");
    await seedCustomer(t.db.sql, "2005", { email: "C2004@example.com" }); // same address, another customer record
    await suppressCustomer({ sql: t.db.sql, queue }, { shop: SHOP, customerId: "2004", source: "one_click", campaignId: "A" });
    // A later sync still saying SUBSCRIBED must not re-enable email.
    await seedCustomer(t.db.sql, "2004", { consent: "SUBSCRIBED" });
    const m = make();
    const results: Record<string, unknown> = {};
    for (const id of ["2001", "2002", "2003", "2004", "2005", "9999"]) {
      results[id] = await m.sendEmail(mail({ customerId: id, dedupeKey: `k:${id}` }));
    }
    expect(results).toEqual({
      "2001": { status: "skipped", reason: "not_subscribed" },
      "2002": { status: "skipped", reason: "not_subscribed" },
      "2003": { status: "skipped", reason: "not_subscribed" },
      "2004": { status: "skipped", reason: "unsubscribed" },
      "2005": { status: "skipped", reason: "unsubscribed" },
      "9999": { status: "skipped", reason: "not_subscribed" },
    });
    expect(smtp.mails).toHaveLength(0);
    expect(await log("k:2004")).toMatchObject({ status: "skipped", reason: "unsubscribed", messageId: null });
  });

  it("frequency cap: one win-back message per 48 h across campaigns; points nudges are outside the cap", async () => {
    const m = make();
    expect((await m.sendEmail(mail())).status).toBe("sent");
    clock.advanceHours(47);
    expect(await m.sendEmail(mail({ campaignId: "B", dedupeKey: "campaign:B:1001:day0", kind: "winback_vip" }))).toEqual({
      status: "skipped",
      reason: "frequency_cap",
    });
    expect((await m.sendEmail(mail({ kind: "points_nudge", campaignId: undefined, dedupeKey: "points:1001:lot9:T-7" }))).status).toBe(
      "sent",
    );
    // Other customers are not affected.
    expect((await m.sendEmail(mail({ customerId: "1002", campaignId: "B", dedupeKey: "campaign:B:1002:day0" }))).status).toBe("sent");
    clock.advanceHours(1.01);
    // The capped touch is re-decided with the same key once the window has passed.
    expect((await m.sendEmail(mail({ campaignId: "B", dedupeKey: "campaign:B:1001:day0", kind: "winback_vip" }))).status).toBe("sent");
    expect(smtp.mails.map((x) => x.to[0])).toEqual(["c1001@example.com", "c1001@example.com", "c1002@example.com", "c1001@example.com"]);
    expect(await log("campaign:B:1001:day0")).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("reads the cap per shop from the campaign settings (frequencyCapHours)", async () => {
    await seedShop(t.db.sql, SHOP, { campaigns: { frequencyCapHours: 24 } });
    const m = make();
    expect(await m.frequencyCapHours(SHOP)).toBe(24);
    expect((await m.sendEmail(mail())).status).toBe("sent");
    clock.advanceHours(23);
    expect((await m.sendEmail(mail({ dedupeKey: "campaign:A:1001:day3" }))).status).toBe("skipped");
    clock.advanceHours(1.5);
    expect((await m.sendEmail(mail({ dedupeKey: "campaign:A:1001:day3" }))).status).toBe("sent");
    await seedShop(t.db.sql, SHOP, {});
    expect(await make({ frequencyCapHours: 72 }).frequencyCapHours(SHOP)).toBe(72);
  });

  it("dedupe: the same key twice sends one email; two campaigns at once for one customer send one", async () => {
    const m = make();
    expect((await m.sendEmail(mail())).status).toBe("sent");
    expect(await m.sendEmail(mail())).toEqual({ status: "skipped", reason: "duplicate" });
    clock.advanceHours(100);
    expect(await m.sendEmail(mail())).toEqual({ status: "skipped", reason: "duplicate" });
    // Parallel: same key twice, plus another campaign for the same customer.
    const k = (c: string, key: string) => mail({ customerId: "1002", campaignId: c, dedupeKey: key });
    const res = await Promise.all([m.sendEmail(k("A", "A:1002")), m.sendEmail(k("A", "A:1002")), m.sendEmail(k("B", "B:1002"))]);
    expect(res.filter((r) => r.status === "sent")).toHaveLength(1);
    const reasons = res.flatMap((r) => (r.status === "skipped" ? [r.reason] : [])).sort();
    // Whichever claimed first wins; the other campaign is capped, the repeated key is a duplicate (or capped too).
    expect(res[2]!.status === "sent" ? ["frequency_cap", "frequency_cap"] : ["duplicate", "frequency_cap"]).toEqual(reasons);
    expect(smtp.mails).toHaveLength(2);
  });

  it("concurrent sends (as the campaign batch job runs them): one email per customer, every other call a duplicate or capped", async () => {
    const ids = ["1001", "1002", "1003"];
    const m = make();
    // Each customer: three campaigns at once, each key sent twice (a retried batch), all in flight together.
    const calls = ids.flatMap((id) =>
      ["A", "B", "C"].flatMap((c) => [0, 1].map(() => mail({ customerId: id, campaignId: c, dedupeKey: `campaign:${c}:${id}:day0` }))),
    );
    const res = await Promise.all(calls.map((c) => m.sendEmail(c)));
    expect(res.filter((r) => r.status === "sent")).toHaveLength(ids.length);
    expect(new Set(res.flatMap((r) => (r.status === "skipped" ? [r.reason] : [])))).toEqual(new Set(["duplicate", "frequency_cap"]));
    expect(smtp.mails.map((x) => x.to[0]).sort()).toEqual(ids.map((id) => `c${id}@example.com`));
    const rows = await t.db.sql.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM "MessageLog" WHERE shop = $1 GROUP BY status ORDER BY status`,
      [SHOP],
    );
    // One row per key (the unique index), the losers recorded as skipped.
    expect(rows).toEqual([
      { status: "sent", n: 3 },
      { status: "skipped", n: 6 },
    ]);
  });

  it("reuses the shop's name and settings for shopContextTtlMs, and forgets them when the email settings are saved", async () => {
    const m = make({ shopContextTtlMs: 60_000 });
    const fromOf = (i: number) => parseMail(smtp.mails[i]!.raw).header("From");
    expect((await m.sendEmail(mail({ customerId: "1001", dedupeKey: "k1" }))).status).toBe("sent");
    expect(fromOf(0)).toMatch(/^"?Fern & Fig"? </);
    // Written behind the messenger's back: within the TTL the cached identity is still used.
    await t.db.sql.query(
      `UPDATE "Shop" SET settings = jsonb_set(settings, '{messaging,senderName}', '"Fern & Fig Studio"') WHERE domain = $1`,
      [SHOP],
    );
    expect((await m.sendEmail(mail({ customerId: "1002", dedupeKey: "k2" }))).status).toBe("sent");
    expect(fromOf(1)).toMatch(/^"?Fern & Fig"? </);
    // What the settings page does after saving: the next email has the new name.
    forgetShopMailContext(t.db.sql, SHOP);
    expect((await m.sendEmail(mail({ customerId: "1003", dedupeKey: "k3" }))).status).toBe("sent");
    expect(fromOf(2)).toMatch(/^"?Fern & Fig Studio"? </);
    // A short TTL expires by itself.
    const short = make({ shopContextTtlMs: 20 });
    await seedCustomer(t.db.sql, "1004");
    await seedCustomer(t.db.sql, "1005");
    expect((await short.sendEmail(mail({ customerId: "1004", dedupeKey: "k4" }))).status).toBe("sent");
    await t.db.sql.query(`UPDATE "Shop" SET settings = jsonb_set(settings, '{messaging,senderName}', '"Fern und Fig"') WHERE domain = $1`, [
      SHOP,
    ]);
    await new Promise((r) => setTimeout(r, 40));
    expect((await short.sendEmail(mail({ customerId: "1005", dedupeKey: "k5" }))).status).toBe("sent");
    expect(fromOf(4)).toMatch(/^"?Fern und Fig"? </);
  });

  it("no SMTP_URL: recorded as skipped/no_mail_server and sent later under the same key once SMTP exists", async () => {
    expect(await make({ transport: null }).sendEmail(mail())).toEqual({ status: "skipped", reason: "no_mail_server" });
    expect(await log("campaign:A:1001:day0")).toMatchObject({ status: "skipped", reason: "no_mail_server", attempts: 0 });
    // A no_mail_server skip delivered nothing, so it does not hold the cap for another campaign.
    expect((await make().sendEmail(mail({ campaignId: "B", dedupeKey: "B:1001" }))).status).toBe("sent");
    clock.advanceHours(49);
    expect((await make().sendEmail(mail())).status).toBe("sent");
    expect(smtp.mails).toHaveLength(2);
  });

  it("crash between SMTP and marking sent: the retry does not send again (at-most-once), and the claim still holds the cap", async () => {
    // The mail goes out, then the process "dies": sendMail never returns to the messenger.
    const dying = { sendMail: (opts: any) => smtp.transport.sendMail(opts).then(() => new Promise<never>(() => {})) } as unknown as Pick<
      Transporter,
      "sendMail"
    >;
    void make({ transport: dying }).sendEmail(mail());
    for (let i = 0; i < 200 && smtp.mails.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(smtp.mails).toHaveLength(1);
    expect(await log("campaign:A:1001:day0")).toMatchObject({ status: "sending" });
    // A new process retries the same touch at once (still within the lease): duplicate, no resend.
    const fresh = make();
    expect(await fresh.sendEmail(mail())).toEqual({ status: "skipped", reason: "duplicate" });
    clock.advanceHours(1);
    expect(await fresh.sendEmail(mail())).toEqual({ status: "skipped", reason: "duplicate" });
    expect(await log("campaign:A:1001:day0")).toMatchObject({ status: "failed", reason: "interrupted" });
    expect(await fresh.sendEmail(mail({ campaignId: "B", dedupeKey: "B:1001" }))).toEqual({ status: "skipped", reason: "frequency_cap" });
    expect(smtp.mails).toHaveLength(1);
  });

  it("SMTP errors: a transient refusal fails the attempt (retryable) and the retry sends; a permanent one is not retryable", async () => {
    smtp.refuse.set("c1001@example.com", 451);
    const m = make();
    const err = await m.sendEmail(mail()).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect([err.code, err.retryable]).toEqual(["NETWORK", true]);
    expect(await log("campaign:A:1001:day0")).toMatchObject({ status: "failed", reason: "smtp_error" });
    smtp.refuse.clear();
    expect((await m.sendEmail(mail())).status).toBe("sent");
    expect(await log("campaign:A:1001:day0")).toMatchObject({ status: "sent", attempts: 2, error: null });
    smtp.refuse.set("c1002@example.com", 550);
    const perm = await m.sendEmail(mail({ customerId: "1002", dedupeKey: "A:1002" })).catch((e) => e);
    expect([perm.code, perm.retryable]).toEqual(["INTERNAL", false]);
    expect(smtp.mails).toHaveLength(1);
  });

  it("rejects malformed requests without recording anything", async () => {
    const m = make();
    await expect(m.sendEmail(mail({ customerId: "gid://shopify/Customer/1" }))).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(m.sendEmail(mail({ subject: "  " }))).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(m.sendEmail(mail({ kind: "newsletter" as never }))).rejects.toMatchObject({ code: "INVALID_INPUT" });
    expect(await t.db.sql.query(`SELECT 1 FROM "MessageLog"`)).toEqual([]);
  });

  it("guardrail counts: deliveries minus bounces, unsubscribes attributed through the token's campaign, complaints", async () => {
    const m = make();
    const sent: string[] = [];
    for (const id of ["1001", "1002", "1003"]) {
      const r = await m.sendEmail(mail({ customerId: id, dedupeKey: `A:${id}` }));
      if (r.status === "sent") sent.push(r.messageId);
    }
    await seedCustomer(t.db.sql, "1004");
    expect((await m.sendEmail(mail({ customerId: "1004", campaignId: "B", dedupeKey: "B:1004" }))).status).toBe("sent");
    expect(await campaignMessageCounts(t.db.sql, "A")).toEqual({
      delivered: 3,
      unsubscribed: 0,
      complaints: 0,
      clicks: 0,
      uniqueClicks: 0,
      humanOpens: 0,
    });

    const deps = { sql: t.db.sql, queue, secret: SECRET, now: clock.now };
    await suppressCustomer(deps, { shop: SHOP, customerId: "1001", source: "one_click", campaignId: "A" });
    await suppressCustomer(deps, { shop: SHOP, customerId: "1001", source: "link", campaignId: "B" }); // second click: first attribution kept
    const complaint = JSON.stringify({ type: "complaint", messageId: sent[1]!.slice(1, -1) });
    expect(await receiveFeedback(deps, complaint, signBody(SECRET, complaint))).toEqual({ recorded: true, type: "complaint" });
    expect(await receiveFeedback(deps, complaint, signBody(SECRET, complaint))).toEqual({ recorded: false, type: "complaint" });
    const bounce = JSON.stringify({ type: "bounce", messageId: sent[2], detail: "550 5.1.1 mailbox unknown" });
    await receiveFeedback(deps, bounce, signBody(SECRET, bounce));
    await expect(receiveFeedback(deps, bounce, signBody("wrong", bounce))).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const unknown = JSON.stringify({ type: "bounce", messageId: "<nope@x>" });
    await expect(receiveFeedback(deps, unknown, signBody(SECRET, unknown))).rejects.toMatchObject({ code: "NOT_FOUND" });

    expect(await campaignMessageCounts(t.db.sql, "A")).toEqual({
      delivered: 2,
      unsubscribed: 1,
      complaints: 1,
      clicks: 0,
      uniqueClicks: 0,
      humanOpens: 0,
    });
    expect(await campaignMessageCounts(t.db.sql, "B")).toEqual({
      delivered: 1,
      unsubscribed: 0,
      complaints: 0,
      clicks: 0,
      uniqueClicks: 0,
      humanOpens: 0,
    });
    // The complaint suppressed customer 1002 and asked Shopify to unsubscribe them.
    const sup = await t.db.sql.query<any>(`SELECT "customerId"::text AS id, source FROM "EmailSuppression" ORDER BY 1`);
    expect(sup).toEqual([
      { id: "1001", source: "one_click" },
      { id: "1002", source: "complaint" },
    ]);
    expect(jobs.map((j) => j.payload.customerId)).toEqual(["1001", "1001", "1002", "1002"]);
    expect(await m.sendEmail(mail({ customerId: "1002", dedupeKey: "A:1002:day3" }))).toEqual({
      status: "skipped",
      reason: "unsubscribed",
    });
  });

  it("a permanent bounce stops mail to that address only (no consent change); a later unsubscribe replaces it", async () => {
    const m = make();
    const first = await m.sendEmail(mail({ customerId: "1003", dedupeKey: "A:1003:day0" }));
    if (first.status !== "sent") throw new Error("not sent");
    const deps = { sql: t.db.sql, queue, secret: SECRET, now: clock.now };
    const bounce = JSON.stringify({ type: "bounce", messageId: first.messageId, permanent: true, detail: "550 5.1.1 user unknown" });
    await receiveFeedback(deps, bounce, signBody(SECRET, bounce));
    expect(jobs).toEqual([]);
    expect((await t.db.sql.query<any>(`SELECT "emailConsent" FROM "Customer" WHERE shop = $1 AND id = 1003`, [SHOP]))[0].emailConsent).toBe(
      "SUBSCRIBED",
    );
    clock.advanceHours(72);
    expect(await m.sendEmail(mail({ customerId: "1003", dedupeKey: "A:1003:day3" }))).toEqual({
      status: "skipped",
      reason: "unsubscribed",
    });
    // The customer fixes their address in Shopify (synced): mail flows again.
    await seedCustomer(t.db.sql, "1003", { email: "ada.new@example.com" });
    expect((await m.sendEmail(mail({ customerId: "1003", dedupeKey: "A:1003:day3" }))).status).toBe("sent");
    expect(smtp.mails.at(-1)!.to).toEqual(["ada.new@example.com"]);
    await suppressCustomer(deps, { shop: SHOP, customerId: "1003", source: "one_click", campaignId: "A" });
    const row = (
      await t.db.sql.query<any>(`SELECT source, "campaignId" FROM "EmailSuppression" WHERE shop = $1 AND "customerId" = 1003`, [SHOP])
    )[0];
    expect(row).toEqual({ source: "one_click", campaignId: "A" });
    expect(jobs.map((j) => j.queue)).toEqual(["messaging.consent"]);
    expect(await campaignMessageCounts(t.db.sql, "A")).toEqual({
      delivered: 1,
      unsubscribed: 1,
      complaints: 0,
      clicks: 0,
      uniqueClicks: 0,
      humanOpens: 0,
    });
  });

  it("customers/redact removes the customer's messaging rows (log, feedback, suppression, Flow log) and the export lists them", async () => {
    const m = make();
    const sent = await m.sendEmail(mail());
    await m.sendEmail(mail({ customerId: "1002", dedupeKey: "A:1002" }));
    if (sent.status !== "sent") throw new Error("not sent");
    const deps = { sql: t.db.sql, queue, secret: SECRET };
    const body = JSON.stringify({ type: "complaint", messageId: sent.messageId });
    await receiveFeedback(deps, body, signBody(SECRET, body));
    const ok = { shop: SHOP, request: async () => ({ flowTriggerReceive: { userErrors: [] } }) as never };
    await createFlowTriggers({ sql: t.db.sql, client: async () => ok }).fire({
      shop: SHOP,
      handle: "winback-touch",
      payload: { customer_id: "1001", campaign_id: "A" },
      dedupeKey: "f:1001",
    });
    // Messaging's compliance hooks (ADR 076), run the way app/compliance.server.ts runs every feature's.
    const part = {
      name: "messaging",
      redactCustomers: (tx: Sql, shop: string, input: { customerIds: string[] }) => redactMessagingCustomers(tx, shop, input.customerIds),
      exportCustomerData: (sql: Sql, shop: string, ids: string[]) => exportMessagingCustomers(sql, shop, ids),
    };
    const exported = await exportCustomerData([part], t.db.sql, SHOP, 1001n);
    expect([
      exported.MessageLog!.length,
      exported.EmailFeedback!.length,
      exported.EmailSuppression!.length,
      exported.FlowTriggerLog!.length,
    ]).toEqual([1, 1, 1, 1]);
    await redactCustomer([part], t.db.sql, SHOP, 1001n);
    for (const table of ["MessageLog", "EmailFeedback", "EmailSuppression", "FlowTriggerLog"]) {
      const rows = await t.db.sql.query<{ id: string }>(`SELECT "customerId"::text AS id FROM "${table}" WHERE shop = $1`, [SHOP]);
      expect(
        rows.map((r) => r.id),
        table,
      ).not.toContain("1001");
    }
    expect((await t.db.sql.query(`SELECT 1 FROM "MessageLog" WHERE "customerId" = 1002`)).length).toBe(1);
  });
});

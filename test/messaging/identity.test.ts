import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMessenger, type MessengerDeps } from "../../app/messaging/messenger";
import { fillEmailDefaultsFromShopify } from "../../app/messaging/feature";
import { skipCountsByReason } from "../../app/messaging/store";
import { loadMessagingSettings } from "../../app/messaging/messenger";
import { composeEmail } from "../../app/messaging/compose";
import type { OutboundEmail } from "../../app/messaging/types";
import type { AdminClient } from "../../app/shopify/graphql-client";
import { createTestDb, type TestDb } from "../support/db";
import { APP_URL, Clock, POSTAL_ADDRESS, SECRET, SHOP, parseMail, seedCustomer, seedShop, startSmtp, type TestSmtp } from "./support";

/**
 * Email a shop can put its name to (issue 13 item 4, ADR 080): sender name, reply-to, postal
 * address and unsubscribe link in every marketing email; VIP replies to the concierge; no address,
 * no marketing email; the shop's customer locale; the contact cap across every kind of message.
 */
const standard = (over: Partial<OutboundEmail> = {}): OutboundEmail => ({
  shop: SHOP,
  customerId: "1001",
  kind: "winback_standard",
  dedupeKey: "campaign:A:1001:day0",
  campaignId: "A",
  content: {
    template: "winback_standard",
    stage: "first",
    firstName: "Ada",
    discount: { percent: 15 },
    code: "WB-7Q2F",
    endsAt: "2026-12-17T22:59:00Z",
    link: `https://${SHOP}/discount/WB-7Q2F`,
  },
  ...over,
});

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / ?B?) in a header, decoded. */
function decodeHeader(h: string | undefined): string {
  return (h ?? "").replace(/=\?UTF-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === "B"
      ? Buffer.from(data, "base64").toString("utf8")
      : Buffer.from(
          data.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          "latin1",
        ).toString("utf8"),
  );
}

describe("email identity, locale and contact cap (pglite)", () => {
  let t: TestDb;
  let smtp: TestSmtp;
  let clock: Clock;
  const make = (over: Partial<MessengerDeps> = {}) =>
    createMessenger({
      sql: t.db.sql,
      transport: smtp.transport,
      appUrl: APP_URL,
      secret: SECRET,
      from: "Winback <winback@mail.example>",
      now: clock.now,
      ...over,
    });

  beforeAll(async () => {
    t = await createTestDb("pglite");
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
    await t.drop();
  });
  beforeEach(async () => {
    clock = new Clock();
    smtp.mails.length = 0;
    await t.db.sql.exec(`DELETE FROM "MessageLog"; DELETE FROM "EmailSuppression"; DELETE FROM "Customer"; DELETE FROM "Shop"`);
    for (const id of ["1001", "1002"]) await seedCustomer(t.db.sql, id);
  });

  it("every marketing email carries the shop's sender name, reply-to, postal address and unsubscribe link", async () => {
    await seedShop(t.db.sql, SHOP, {
      messaging: { senderName: "Fern & Fig Studio", replyTo: "hello@fernfig.example", postalAddress: POSTAL_ADDRESS },
    });
    const out = await make().sendEmail(standard());
    expect(out.status).toBe("sent");
    if (out.status !== "sent") return;
    const m = parseMail(smtp.mails[0]!.raw);
    expect(m.header("From")).toMatch(/Fern & Fig Studio.*<winback@mail\.example>/);
    expect(m.header("Reply-To")).toBe("hello@fernfig.example");
    for (const body of [m.text, m.html]) {
      expect(body).toContain("Hauptstraße 1");
      expect(body).toContain("10115 Berlin");
      expect(body).toContain(out.unsubscribeUrl);
    }
    expect(m.header("Subject")).toMatch(/^We miss you: 15% off until December 17, 2026$/);
  });

  it("a VIP note comes from the named concierge and replies go to the concierge", async () => {
    await seedShop(t.db.sql, SHOP, {
      messaging: { senderName: "Fern & Fig", replyTo: "hello@fernfig.example", postalAddress: POSTAL_ADDRESS },
    });
    const out = await make().sendEmail({
      shop: SHOP,
      customerId: "1001",
      kind: "winback_vip",
      dedupeKey: "campaign:V:1001:day0",
      campaignId: "V",
      content: { template: "winback_vip", stage: "first", firstName: "Ada", concierge: "Sam Rivera", perk: "Free express shipping" },
      fromName: "Sam Rivera",
      replyTo: "sam@fernfig.example",
    });
    expect(out.status).toBe("sent");
    const m = parseMail(smtp.mails[0]!.raw);
    expect(m.header("From")).toMatch(/Sam Rivera \(Fern & Fig\).*<winback@mail\.example>/);
    expect(m.header("Reply-To")).toBe("sam@fernfig.example");
    expect(m.text).toContain("free express shipping");
    expect(m.text).toContain("Hauptstraße 1");
  });

  it("refuses marketing email without a postal address: skipped with reason no_postal_address, counted for the merchant", async () => {
    await seedShop(t.db.sql, SHOP, { messaging: { senderName: "Fern & Fig", postalAddress: "" } });
    expect(await make().sendEmail(standard())).toEqual({ status: "skipped", reason: "no_postal_address" });
    expect(smtp.mails).toHaveLength(0);
    expect(await skipCountsByReason(t.db.sql, SHOP)).toEqual({ no_postal_address: 1 });
    // Once the merchant adds it, the same key goes out.
    await seedShop(t.db.sql, SHOP, { messaging: { postalAddress: POSTAL_ADDRESS } });
    expect((await make().sendEmail(standard())).status).toBe("sent");
  });

  it("without a mail server the skip says no_mail_server, never missing consent", async () => {
    await seedShop(t.db.sql, SHOP);
    expect(await make({ transport: null }).sendEmail(standard())).toEqual({ status: "skipped", reason: "no_mail_server" });
    expect(await make({ transport: null }).sendEmail(standard({ customerId: "1002", dedupeKey: "campaign:A:1002:day0" }))).toEqual({
      status: "skipped",
      reason: "no_mail_server",
    });
    const counts = await skipCountsByReason(t.db.sql, SHOP, { campaignId: "A" });
    expect(counts).toEqual({ no_mail_server: 2 });
    expect(counts.not_subscribed).toBeUndefined();
  });

  it("a French shop's email is in French, dates and money included, footer too", async () => {
    await seedShop(t.db.sql, SHOP, { messaging: { locale: "fr", postalAddress: POSTAL_ADDRESS } });
    const out = await make().sendEmail(standard());
    expect(out.status).toBe("sent");
    const m = parseMail(smtp.mails[0]!.raw);
    expect(decodeHeader(m.header("Subject"))).toContain("Vous nous manquez : 15 % de réduction");
    expect(decodeHeader(m.header("Subject"))).toContain("décembre 2026");
    expect(m.text).toContain("Bonjour Ada,");
    expect(m.text).toContain("Code : WB-7Q2F");
    expect(m.text).toContain("Se désabonner en un clic");
    expect(m.html).toContain("Vous recevez cet e-mail");
    expect(m.text).not.toContain("Unsubscribe");
  });

  it("uses the subject and blocks the merchant rewrote, with placeholders", async () => {
    await seedShop(t.db.sql, SHOP, {
      messaging: {
        postalAddress: POSTAL_ADDRESS,
        templates: {
          "winback_standard.first": {
            subject: "{first_name}, {offer} with {code}",
            intro: "Our new collection is in.",
            closing: "See you soon,\nthe {shop} team",
          },
        },
      },
    });
    await make().sendEmail(standard());
    const m = parseMail(smtp.mails[0]!.raw);
    expect(m.header("Subject")).toBe("Ada, 15% off with WB-7Q2F");
    expect(m.text).toContain("Our new collection is in.");
    expect(m.text).toContain("the Fern & Fig team");
    expect(m.text).not.toContain("It has been a while");
  });

  it("contact cap: marketing emails per customer per 30 days across campaigns, programs and points reminders", async () => {
    await seedShop(t.db.sql, SHOP, {
      messaging: { postalAddress: POSTAL_ADDRESS, contactCapPer30Days: 2 },
      campaigns: { frequencyCapHours: 0 },
    });
    const m = make();
    expect((await m.sendEmail(standard({ dedupeKey: "campaign:A:1001:day0" }))).status).toBe("sent");
    clock.advanceHours(24);
    const points = { template: "points_nudge" as const, firstName: "Ada", points: 300, value: 3, expiresAt: "2026-12-20T00:00:00Z" };
    expect(
      (await m.sendEmail({ shop: SHOP, customerId: "1001", kind: "points_nudge", dedupeKey: "points:1001:lot1:T-7", content: points }))
        .status,
    ).toBe("sent");
    clock.advanceHours(24);
    expect(await m.sendEmail(standard({ dedupeKey: "program:P:1001:day0", campaignId: "P" }))).toEqual({
      status: "skipped",
      reason: "contact_cap",
    });
    expect(
      await m.sendEmail({ shop: SHOP, customerId: "1001", kind: "points_nudge", dedupeKey: "points:1001:lot1:T-2", content: points }),
    ).toEqual({
      status: "skipped",
      reason: "contact_cap",
    });
    // Another customer is not affected; 30 days after the first email one slot is free again.
    expect((await m.sendEmail(standard({ customerId: "1002", dedupeKey: "campaign:A:1002:day0" }))).status).toBe("sent");
    clock.advanceHours(29 * 24);
    expect((await m.sendEmail(standard({ dedupeKey: "program:P:1001:day0", campaignId: "P" }))).status).toBe("sent");
    expect(smtp.mails.map((x) => x.to[0])).toEqual(["c1001@example.com", "c1001@example.com", "c1002@example.com", "c1001@example.com"]);
  });

  it("defaults the identity from Shopify's shop (name, contact email, buyer-facing address) once, keeping the merchant's fields", async () => {
    await seedShop(t.db.sql, SHOP, { messaging: { senderName: "My own name" } });
    let calls = 0;
    const client = {
      request: async () => {
        calls++;
        return {
          shop: {
            name: "Fern & Fig",
            contactEmail: "care@fernfig.example",
            shopAddress: {
              company: null,
              address1: "Hauptstraße 1",
              address2: "",
              city: "Berlin",
              province: null,
              zip: "10115",
              country: "Germany",
            },
          },
        };
      },
    } as unknown as AdminClient;
    const s = await fillEmailDefaultsFromShopify(t.db.sql, client, SHOP, clock.now());
    expect(s).toMatchObject({
      senderName: "My own name",
      replyTo: "care@fernfig.example",
      postalAddress: "Hauptstraße 1\n10115 Berlin\nGermany",
      postalAddressSource: "shopify",
    });
    expect(await loadMessagingSettings(t.db.sql, SHOP)).toMatchObject({ postalAddress: "Hauptstraße 1\n10115 Berlin\nGermany" });
    // Once read, a field the merchant clears later is not refilled.
    await fillEmailDefaultsFromShopify(t.db.sql, client, SHOP, clock.now());
    expect(calls).toBe(1);
  });

  it("a failure to read the shop from Shopify is kept for the settings page, not swallowed", async () => {
    await seedShop(t.db.sql, SHOP, { messaging: {} });
    const client = { request: async () => Promise.reject(new Error("Access denied for shopAddress field")) } as unknown as AdminClient;
    const s = await fillEmailDefaultsFromShopify(t.db.sql, client, SHOP, clock.now());
    expect(s.defaultsError).toContain("Access denied for shopAddress field");
    expect(s.postalAddress).toBe("");
    expect((await loadMessagingSettings(t.db.sql, SHOP)).defaultsError).toContain("Access denied");
  });
});

describe("composeEmail", () => {
  const ctx = { shopName: "Fern & Fig", currencyCode: "EUR", timeZone: "Europe/Berlin" };
  it("writes each message in the shop's locale", () => {
    const content = { template: "points_nudge" as const, firstName: null, points: 1200, value: 12, expiresAt: "2026-12-20T00:00:00Z" };
    expect(composeEmail(content, { ...ctx, locale: "de" }).subject).toBe("1.200 Punkte (12,00 €) verfallen am 20. Dezember 2026");
    expect(composeEmail(content, { ...ctx, locale: "es" }).subject).toBe("1200 puntos (12,00 €) caducan el 20 de diciembre de 2026");
    expect(composeEmail(content, { ...ctx, locale: "en" }).text).toMatch(
      /^Hi,\n\n1,200 of your Fern & Fig points expire on December 20, 2026\./,
    );
  });
});

import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  POINTS_EXPIRING_TRIGGER,
  WINBACK_TOUCH_TRIGGER,
  normalizeFlowPayload,
  pointsExpiringPayload,
  winbackTouchPayload,
} from "../../app/messaging/flow";
import { createUnsubscribeToken, signBody, verifyBodySignature, verifyUnsubscribeToken } from "../../app/messaging/token";
import { parseAddress, withHtmlFooter } from "../../app/messaging/messenger";
import { escapeHtml } from "../../app/lib/html";

const SECRET = "s3cret";
const claims = {
  shop: "fern-fig.myshopify.com",
  customerId: "7012345678901",
  messageLogId: "0b7e3c9a-6d7f-4d5e-9a51-2c1f0d4e8b11",
  campaignId: "cmp_42",
};

describe("unsubscribe tokens", () => {
  it("round-trips the claims and is URL-safe", () => {
    const t = createUnsubscribeToken(SECRET, claims);
    expect(t).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(encodeURIComponent(t)).toBe(t);
    expect(verifyUnsubscribeToken(SECRET, t)).toEqual(claims);
    expect(verifyUnsubscribeToken(SECRET, createUnsubscribeToken(SECRET, { shop: claims.shop, customerId: "5" }))).toEqual({
      shop: claims.shop,
      customerId: "5",
      messageLogId: undefined,
      campaignId: undefined,
    });
  });

  it("rejects forged, tampered and malformed tokens", () => {
    const t = createUnsubscribeToken(SECRET, claims);
    const [v, payload, sig] = t.split(".") as [string, string, string];
    // Another secret.
    expect(() => verifyUnsubscribeToken(SECRET, createUnsubscribeToken("other", claims))).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
    // Someone else's customer id with the original signature.
    const other = Buffer.from(JSON.stringify({ s: claims.shop, c: "1", m: claims.messageLogId, k: claims.campaignId })).toString(
      "base64url",
    );
    expect(() => verifyUnsubscribeToken(SECRET, `${v}.${other}.${sig}`)).toThrow(expect.objectContaining({ code: "UNAUTHENTICATED" }));
    // One flipped signature character, a truncated signature.
    const flipped = sig.slice(0, 10) + (sig[10] === "A" ? "B" : "A") + sig.slice(11);
    expect(() => verifyUnsubscribeToken(SECRET, `${v}.${payload}.${flipped}`)).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
    expect(() => verifyUnsubscribeToken(SECRET, `${v}.${payload}.${sig.slice(0, 20)}`)).toThrow(
      expect.objectContaining({ code: "UNAUTHENTICATED" }),
    );
    for (const bad of ["", "v1", "v2." + payload + "." + sig, `${v}.${payload}`, `${v}.pay load.${sig}`, "../../etc/passwd"]) {
      expect(() => verifyUnsubscribeToken(SECRET, bad)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
    // A correctly signed payload that is not our claims shape.
    const junk = Buffer.from(JSON.stringify({ s: "evil.example.com", c: "1" })).toString("base64url");
    const junkSig = createHmac("sha256", SECRET)
      .update("winback:unsubscribe:v1:" + junk)
      .digest("base64url");
    expect(() => verifyUnsubscribeToken(SECRET, `v1.${junk}.${junkSig}`)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });

  it("relay feedback signatures: hex HMAC-SHA256 of the raw body", () => {
    const body = '{"type":"complaint","messageId":"<a@b>"}';
    expect(verifyBodySignature(SECRET, body, signBody(SECRET, body))).toBe(true);
    expect(verifyBodySignature(SECRET, body, signBody(SECRET, body).toUpperCase())).toBe(true);
    expect(verifyBodySignature(SECRET, body + " ", signBody(SECRET, body))).toBe(false);
    expect(verifyBodySignature(SECRET, body, signBody("x", body))).toBe(false);
    expect(verifyBodySignature(SECRET, body, null)).toBe(false);
    expect(verifyBodySignature(SECRET, body, "zz")).toBe(false);
  });

  it("footers escape the shop name and MAIL_FROM parses both forms", () => {
    const footer = (shopName: string, url: string) => ({
      shopName,
      url,
      postalAddress: "1 Rue <Haute>\n75001 Paris",
      locale: "en" as const,
    });
    expect(withHtmlFooter("<p>x</p>", footer(`A "quoted" <shop>`, "https://a/u?x=1&y=2"))).toContain(`A &quot;quoted&quot; &lt;shop&gt;`);
    expect(withHtmlFooter("<p>x</p>", footer("S", "https://a/u?x=1&y=2"))).toContain(`href="https://a/u?x=1&amp;y=2"`);
    expect(withHtmlFooter("<p>x</p>", footer("S", "https://a/u"))).toContain("S, 1 Rue &lt;Haute&gt;, 75001 Paris");
    expect(escapeHtml(`'&`)).toBe("&#39;&amp;");
    expect(parseAddress("Winback <w@x.io>")).toEqual({ name: "Winback", address: "w@x.io" });
    expect(parseAddress(`"Fern & Fig" <w@x.io>`)).toEqual({ name: "Fern & Fig", address: "w@x.io" });
    expect(parseAddress("w@x.io")).toEqual({ name: "", address: "w@x.io" });
    expect(() => parseAddress("nobody")).toThrow(expect.objectContaining({ code: "CONFIG" }));
  });
});

describe("Flow trigger extensions", () => {
  // The tomls against the Shopify CLI's accepted types and against these specs: test/release/flow-triggers.test.ts.

  it("payload builders use only declared keys (plus customer_id) with the declared types", () => {
    const touch = winbackTouchPayload({
      customerId: "7012345678901",
      campaignId: "cmp_42",
      branch: "standard",
      touchDay: 3,
      discountCode: "WINBACK-7Q2F",
      discountEndsAt: new Date("2026-12-04T09:00:00Z"),
      perk: null,
    });
    expect(touch).toEqual({
      customer_id: 7012345678901,
      "Campaign ID": "cmp_42",
      Branch: "standard",
      "Touch day": 3,
      "Discount code": "WINBACK-7Q2F",
      "Discount ends at": "2026-12-04T09:00:00.000Z",
    });
    const pts = pointsExpiringPayload({
      customerId: "55",
      points: 420,
      pointsValue: 21.004,
      expiresAt: "2027-01-01T00:00:00Z",
      basketSuggestion: "Oat milk soap, Linen towel",
    });
    expect(pts).toEqual({
      customer_id: 55,
      Points: 420,
      "Points value": 21,
      "Expires at": "2027-01-01T00:00:00.000Z",
      "Basket suggestion": "Oat milk soap, Linen towel",
    });
    for (const [spec, payload] of [
      [WINBACK_TOUCH_TRIGGER, touch],
      [POINTS_EXPIRING_TRIGGER, pts],
    ] as const) {
      const declared = new Set(["customer_id", ...spec.fields.map((f) => f.key)]);
      expect(Object.keys(payload).filter((k) => !declared.has(k))).toEqual([]);
    }
  });

  it("normalizes snake_case aliases and rejects unknown fields, wrong types, missing customer and unknown handles", () => {
    expect(normalizeFlowPayload("winback-touch", { customer_id: "gid://shopify/Customer/9", campaign_id: "c", touch_day: 0 })).toEqual({
      customer_id: 9,
      "Campaign ID": "c",
      "Touch day": 0,
    });
    expect(() => normalizeFlowPayload("winback-touch", { customer_id: 9, coupon: "X" })).toThrow(/coupon: not a field of winback-touch/);
    expect(() => normalizeFlowPayload("winback-touch", { customer_id: 9, touch_day: "3" })).toThrow(/touch_day/);
    expect(() => normalizeFlowPayload("winback-touch", { customer_id: 9, discount_ends_at: "next week" })).toThrow(/discount_ends_at/);
    expect(() => normalizeFlowPayload("winback-touch", { customer_id: 9, perk: "a\nb" })).toThrow(/single line/);
    expect(() => normalizeFlowPayload("winback-touch", { campaign_id: "c" })).toThrow(/customer_id/);
    expect(() => normalizeFlowPayload("nope", { customer_id: 9 })).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
  });
});

import { describe, expect, it } from "vitest";
import { isSingleEmailAddress, parseEmailAddress, singleEmailAddress } from "../../app/lib/email-address";
import { parseCampaignSettings } from "../../app/domain/campaigns";

describe("lib/email-address: exactly one recipient", () => {
  it("accepts one plain address (trimmed)", () => {
    for (const a of [
      "boss@shop.test",
      "first.last+tag@sub.example.co.uk",
      "o'brien@example.ie",
      "jürgen@bücher.de",
      "x@xn--bcher-kva.example",
    ]) {
      expect(parseEmailAddress(a), a).toEqual({ ok: true, address: a });
    }
    expect(parseEmailAddress("  boss@shop.test \n")).toEqual({ ok: true, address: "boss@shop.test" });
  });

  it("refuses lists, display names and header injection (issue 16: 'a@x.com, b@y.com' fanned out to two recipients)", () => {
    const bad = [
      "a@x.com, b@y.com",
      "a@x.com,b@y.com",
      "a@x.com;b@y.com",
      "boss@shop.test,ops",
      "a@x.com b@y.com",
      "Boss <boss@shop.test>",
      '"Boss" <boss@shop.test>',
      "boss@shop.test\nBcc: evil@x.test",
      "boss@shop.test (boss)",
      "a@b@c.test",
      "boss",
      "@shop.test",
      "boss@",
      "boss@shop",
      "boss@shop..test",
      ".boss@shop.test",
      "boss.@shop.test",
      "boss@-shop.test",
      "boss@shop.123",
      `${"a".repeat(65)}@shop.test`,
      `a@${"b".repeat(250)}.test`,
    ];
    for (const a of bad) expect(isSingleEmailAddress(a), JSON.stringify(a)).toBe(false);
    expect(parseEmailAddress("a@x.com, b@y.com")).toEqual({ ok: false, error: "Enter exactly one email address" });
    expect(() => singleEmailAddress("a@x.com, b@y.com", "owner notice")).toThrow(/owner notice: Enter exactly one email address/);
  });

  it("the escalation owner setting takes a staff name or exactly one address", () => {
    expect(parseCampaignSettings({ vip: { owner: "Maria (store owner)" } }).vip.owner).toBe("Maria (store owner)");
    expect(parseCampaignSettings({ vip: { owner: " boss@shop.test " } }).vip.owner).toBe("boss@shop.test");
    expect(() => parseCampaignSettings({ vip: { owner: "a@x.com, b@y.com" } })).toThrow(/vip\.owner: Enter exactly one email address/);
    expect(() => parseCampaignSettings({ vip: { owner: "Maria\nBcc: x@y.test" } })).toThrow(/vip\.owner/);
  });
});

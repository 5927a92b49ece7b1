import { describe, expect, it } from "vitest";
import { mulberry32 } from "../stats";
import { fnv1a64Reference } from "./hash";
import { assignHoldout, discountCodeFor, fnv1a64, holdoutScore, isHoldout } from "./index";

describe("hash", () => {
  it("FNV-1a 64 matches published test vectors", () => {
    expect(fnv1a64("")).toBe(0xcbf29ce484222325n);
    expect(fnv1a64("a")).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64("foobar")).toBe(0x85944171f73967e8n);
  });
  it("limb arithmetic equals the BigInt reference on random UTF-8 strings", () => {
    const rnd = mulberry32(11);
    for (let i = 0; i < 2000; i++) {
      const s = Array.from({ length: Math.floor(rnd() * 40) }, () =>
        String.fromCodePoint(Math.floor(rnd() * (rnd() < 0.8 ? 128 : 0x2fff))),
      ).join("");
      expect(fnv1a64(s)).toBe(fnv1a64Reference(s));
    }
  });
  it("is stable across releases (pinned values)", () => {
    // If this changes, every running campaign reshuffles its holdout: never change the algorithm.
    expect(discountCodeFor("campaign-1")).toMatchInlineSnapshot(`"COMEBACK-92N8AB"`);
    expect(holdoutScore("c1", "1")).toMatchInlineSnapshot(`0.6682551224286514`);
  });
});

describe("holdout assignment", () => {
  const ids = Array.from({ length: 100_000 }, (_, i) => `gid://shopify/Customer/${7_000_000 + i}`);

  it("holds out 10% ± 1% of 100k sequential ids", () => {
    const { holdout, treated } = assignHoldout("campaign-1", ids);
    expect(holdout.length + treated.length).toBe(ids.length);
    expect(Math.abs(holdout.length / ids.length - 0.1)).toBeLessThan(0.01);
  });

  it("scores are uniform (deciles within ±1 point)", () => {
    const deciles = new Array(10).fill(0);
    for (const id of ids) deciles[Math.floor(holdoutScore("campaign-2", id) * 10)]++;
    for (const c of deciles) expect(Math.abs(c / ids.length - 0.1)).toBeLessThan(0.01);
  });

  it("is deterministic and independent across campaigns", () => {
    const a = ids.map((id) => isHoldout("campaign-A", id));
    expect(ids.map((id) => isHoldout("campaign-A", id))).toEqual(a);
    const b = ids.map((id) => isHoldout("campaign-B", id));
    const both = a.filter((x, i) => x && b[i]).length / ids.length;
    // Independent assignments overlap in share² = 1% of customers.
    expect(both).toBeGreaterThan(0.008);
    expect(both).toBeLessThan(0.012);
  });

  it("honours share bounds, injected hashers and rejects bad shares", () => {
    expect(assignHoldout("c", ids.slice(0, 1000), 0).holdout).toHaveLength(0);
    expect(isHoldout("c", "x", 0.1, () => 0.0999)).toBe(true);
    expect(isHoldout("c", "x", 0.1, () => 0.1)).toBe(false);
    expect(() => isHoldout("c", "x", 0.6)).toThrow(/holdout share/);
  });

  it("keys cannot collide by shifting characters between campaign and customer id", () => {
    expect(holdoutScore("ab", "c")).not.toBe(holdoutScore("a", "bc"));
  });
});

describe("discount code", () => {
  it("is deterministic, readable and differs per campaign", () => {
    const code = discountCodeFor("campaign-1");
    expect(code).toMatch(/^COMEBACK-[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(discountCodeFor("campaign-1")).toBe(code);
    expect(discountCodeFor("campaign-2")).not.toBe(code);
    expect(discountCodeFor("campaign-1", "VIP")).toMatch(/^VIP-/);
    expect(() => discountCodeFor("c", "bad-prefix")).toThrow(/prefix/);
    const codes = new Set(Array.from({ length: 5000 }, (_, i) => discountCodeFor(`campaign-${i}`)));
    expect(codes.size).toBe(5000);
  });
});

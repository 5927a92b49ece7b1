import { describe, expect, it } from "vitest";
import { FLAG_CANCELLED, FLAG_TEST, generateShop } from "./generator";
import { ShopState } from "./state";

const NOW = new Date("2026-11-01T00:00:00Z");

describe("demo shop generator", () => {
  const a = generateShop("gen.myshopify.com", { seed: 42, customers: 4000, years: 4, now: NOW });

  it("is deterministic for a seed and differs across seeds", () => {
    const b = generateShop("gen.myshopify.com", { seed: 42, customers: 4000, years: 4, now: NOW });
    const c = generateShop("gen.myshopify.com", { seed: 43, customers: 4000, years: 4, now: NOW });
    expect(b.orders.length).toBe(a.orders.length);
    expect(
      Buffer.from(b.orders.processedAt.buffer, 0, a.orders.length * 8).equals(
        Buffer.from(a.orders.processedAt.buffer, 0, a.orders.length * 8),
      ),
    ).toBe(true);
    expect(Array.from(b.orders.totalCents.subarray(0, 500))).toEqual(Array.from(a.orders.totalCents.subarray(0, 500)));
    expect(b.customers.tags).toEqual(a.customers.tags);
    expect(c.orders.length).not.toBe(a.orders.length);
  });

  it("has realistic proportions: guests, cancellations, tests, refunds, consent", () => {
    const o = a.orders;
    const n = o.length;
    let guests = 0,
      cancelled = 0,
      test = 0,
      refunded = 0;
    for (let i = 0; i < n; i++) {
      if (o.customer[i]! < 0) guests++;
      if (o.flags[i]! & FLAG_CANCELLED) cancelled++;
      else if (o.currentCents[i]! < o.totalCents[i]!) refunded++;
      if (o.flags[i]! & FLAG_TEST) test++;
    }
    expect(guests / n).toBeGreaterThan(0.06);
    expect(guests / n).toBeLessThan(0.1);
    expect(cancelled / n).toBeGreaterThan(0.01);
    expect(cancelled / n).toBeLessThan(0.03);
    expect(test / n).toBeGreaterThan(0.001);
    expect(test / n).toBeLessThan(0.012);
    expect(refunded / n).toBeGreaterThan(0.035);
    expect(refunded / n).toBeLessThan(0.065);
    const cs = a.customers;
    let withEmail = 0,
      subscribed = 0;
    for (let c = 0; c < cs.length; c++)
      if (cs.hasEmail[c]) {
        withEmail++;
        if (cs.emailState[c] === 1) subscribed++;
      }
    expect(subscribed / withEmail).toBeGreaterThan(0.55);
    expect(subscribed / withEmail).toBeLessThan(0.65);
  });

  it("has repeat buyers, dropouts and a high-value tail", () => {
    const cs = a.customers;
    const counts = cs.ordersCount.filter((x) => x > 0);
    const repeat = counts.filter((x) => x >= 2).length / counts.length;
    expect(repeat).toBeGreaterThan(0.25);
    expect(repeat).toBeLessThan(0.65);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(8);
    const spend = [...cs.spentCents].sort((x, y) => y - x);
    const total = spend.reduce((s, x) => s + x, 0);
    const top10 = spend.slice(0, Math.floor(spend.length / 10)).reduce((s, x) => s + x, 0);
    expect(top10 / total).toBeGreaterThan(0.35);
    // a year ago's active customers: many have not bought in the last 365 days (dropout)
    const last = new Map<number, number>();
    for (let i = 0; i < a.orders.length; i++) if (a.orders.customer[i]! >= 0) last.set(a.orders.customer[i]!, a.orders.processedAt[i]!);
    const lapsed = [...last.values()].filter((t) => t < NOW.getTime() - 365 * 86400e3).length / last.size;
    expect(lapsed).toBeGreaterThan(0.3);
  });

  it("peaks in November/December and keeps orders sorted within the history window", () => {
    const o = a.orders;
    const months = new Array(12).fill(0);
    for (let i = 0; i < o.length; i++) months[new Date(o.processedAt[i]!).getUTCMonth()]++;
    const avg = o.length / 12;
    expect(months[10] / avg).toBeGreaterThan(1.3);
    expect(months[11] / avg).toBeGreaterThan(1.3);
    expect(months[0] / avg).toBeLessThan(1);
    for (let i = 1; i < o.length; i++) expect(o.processedAt[i]! >= o.processedAt[i - 1]!).toBe(true);
    expect(o.processedAt[0]!).toBeGreaterThanOrEqual(NOW.getTime() - 4 * 365.25 * 86400e3);
    expect(o.processedAt[o.length - 1]!).toBeLessThanOrEqual(NOW.getTime());
  });

  it("derives 1-4 line items whose prices add up to the order total", () => {
    const s = new ShopState("gen.myshopify.com", a, () => NOW.getTime());
    for (let i = 0; i < 2000; i++) {
      const lines = s.lineItems(i);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(4);
      expect(lines.reduce((t, l) => t + l.unitPriceCents * l.quantity, 0)).toBe(a.orders.totalCents[i]);
      expect(s.lineItems(i)).toEqual(lines);
    }
    const types = new Set(Array.from({ length: 500 }, (_, i) => s.lineItems(i).map((l) => a.catalog[l.productIndex]!.productType)).flat());
    expect(types.size).toBeGreaterThan(4);
  });

  it("hits an order target", () => {
    const t = generateShop("big.myshopify.com", { seed: 1, orders: 20_000, years: 3, now: NOW });
    expect(t.orders.length).toBe(20_000);
  });
});

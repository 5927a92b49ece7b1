import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  analyze,
  auc,
  bgnbdExpectedPurchases,
  buildHistories,
  dayFromIso,
  HistoryAccumulator,
  lapseClass,
  localDay,
  isOverdue,
  vipThreshold,
  resolveSettings,
  scaledHyp2f1,
  type OrderFact,
} from "./index";

function cdnow() {
  const acc = new HistoryAccumulator("UTC");
  const lines = readFileSync(new URL("../../../test/fixtures/cdnow/cdnow_sample_transactions.csv", import.meta.url), "utf8")
    .trim()
    .split("\n")
    .slice(1);
  for (const l of lines) {
    const [c, d, a] = l.split(",");
    acc.addDay(c, dayFromIso(d), Number(a));
  }
  return acc.build();
}

describe("CDNOW reference estimates", () => {
  const h = cdnow();
  const res = analyze(h, { asOf: "1997-09-30", timeUnit: "week", settings: { prediction: { horizonDays: 273 } } });
  it("reproduces BG/NBD and Gamma-Gamma published values", () => {
    const bg = res.model!.bgnbd;
    expect(bg.r).toBeCloseTo(0.243, 3);
    expect(bg.alpha).toBeCloseTo(4.414, 3);
    expect(bg.a).toBeCloseTo(0.793, 3);
    expect(bg.b).toBeCloseTo(2.426, 3);
    expect(bg.logLikelihood).toBeCloseTo(-9582.4, 1);
    const gg = res.model!.gammaGamma!;
    expect(gg.p.toPrecision(3)).toBe("6.25");
    expect(gg.q.toPrecision(3)).toBe("3.74");
    expect(gg.v.toPrecision(3)).toBe("15.4");
    expect(res.customers).toBe(2357);
    // FHL 2005 worked example: x=2, t_x=30.43, T=38.86 -> 1.226 expected purchases in 39 weeks
    expect(bgnbdExpectedPurchases(bg, 39, 2, 30.43, 38.86)).toBeCloseTo(1.226, 2);
  });
  it("churn risk ranks holdout repeat buyers better than recency and BG/NBD alone", () => {
    const end = dayFromIso("1998-06-30"),
      cal = dayFromIso("1997-09-30");
    const idx = new Map(h.customerIds.map((id, i) => [id, i]));
    const y = res.rows.map((r) => {
      const c = idx.get(r.customerId)!;
      for (let k = h.offsets[c]; k < h.offsets[c + 1]; k++) if (h.days[k] > cal && h.days[k] <= end) return true;
      return false;
    });
    const aRec = auc(
      res.rows.map((r) => -r.daysSinceLastOrder),
      y,
    );
    const aEp = auc(
      res.rows.map((r) => r.expectedPurchases90d!),
      y,
    );
    const aChurn = auc(
      res.rows.map((r) => -r.churnRisk),
      y,
    );
    console.log(`AUC recency=${aRec.toFixed(4)} bgnbd=${aEp.toFixed(4)} churn=${aChurn.toFixed(4)}`);
    expect(aRec).toBeCloseTo(0.771, 3);
    expect(aEp).toBeCloseTo(0.773, 2);
    expect(aChurn).toBeGreaterThan(0.78);
    for (const r of res.rows) expect(r.churnRisk >= 0 && r.churnRisk <= 1).toBe(true);
  });
});

describe("rules", () => {
  const s = resolveSettings();
  it("lapse boundaries", () => {
    expect(lapseClass(89)).toBe("active");
    expect(lapseClass(90)).toBe("at_risk");
    expect(lapseClass(119)).toBe("at_risk");
    expect(lapseClass(120)).toBe("high_risk");
    expect(lapseClass(364)).toBe("high_risk");
    expect(lapseClass(365)).toBe("lost");
  });
  it("VIP nearest rank", () => {
    expect(vipThreshold([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toBe(9);
    expect(vipThreshold([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toBe(10);
    expect(vipThreshold([5])).toBe(5);
    expect(vipThreshold([1, 2], resolveSettings({ vip: { fixedThreshold: 500 } }))).toBe(500);
  });
  it("overdue needs 3 purchase days and silence > 2x median gap", () => {
    expect(isOverdue({ purchaseDays: 3, medianGapDays: 10, daysSinceLastOrder: 21 }, s)).toBe(true);
    expect(isOverdue({ purchaseDays: 3, medianGapDays: 10, daysSinceLastOrder: 20 }, s)).toBe(false);
    expect(isOverdue({ purchaseDays: 2, medianGapDays: 10, daysSinceLastOrder: 50 }, s)).toBe(false);
  });
  it("time zone edges", () => {
    const t = "2024-03-10T23:30:00Z";
    expect(localDay(t, "UTC")).toBe(dayFromIso("2024-03-10"));
    expect(localDay(t, "Asia/Tokyo")).toBe(dayFromIso("2024-03-11"));
    expect(localDay("2024-03-10T03:30:00Z", "America/Los_Angeles")).toBe(dayFromIso("2024-03-09"));
    expect(() => localDay(t, "Mars/Base")).toThrow(/time zone/);
  });
  it("same-day, cancelled, test and guest orders; orders after as-of ignored", () => {
    const o = (customerId: string | null, processedAt: string, value: number, extra: Partial<OrderFact> = {}): OrderFact => ({
      customerId,
      processedAt,
      value,
      test: false,
      cancelled: false,
      ...extra,
    });
    const h = buildHistories([
      o("a", "2024-01-01T10:00:00Z", 10),
      o("a", "2024-01-01T12:00:00Z", 5),
      o("a", "2024-02-01T00:00:00Z", 7, { cancelled: true }),
      o("a", "2024-03-01T00:00:00Z", 9, { test: true }),
      o(null, "2024-01-05T00:00:00Z", 4),
      o("b", "2024-01-02T00:00:00Z", 20),
      o("b", "2024-06-01T00:00:00Z", 20),
    ]);
    const r = analyze(h, { asOf: "2024-04-01" });
    expect(r.model).toBeNull();
    expect(r.modelMessage).toMatch(/BG\/NBD needs/);
    const a = r.rows.find((x) => x.customerId === "a")!;
    expect(a.orders).toBe(2);
    expect(a.purchaseDays).toBe(1);
    expect(a.totalSpent).toBe(15);
    expect(a.daysSinceLastOrder).toBe(91);
    expect(a.lapseClass).toBe("at_risk");
    const b = r.rows.find((x) => x.customerId === "b")!;
    expect(b.orders).toBe(1);
    expect(r.shop).toEqual({ orders: 4, revenue: 39, guestOrders: 1, guestRevenue: 4 });
    expect(r.vipThreshold).toBe(20);
  });
  it("hyp2f1 stays finite with hundreds of orders", () => {
    const v = scaledHyp2f1(800.2, 802, 1603, 0.9);
    expect(Number.isFinite(v)).toBe(true);
    const e = bgnbdExpectedPurchases({ r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, 52, 600, 100, 100.5);
    expect(e).toBeGreaterThan(100);
    expect(Number.isFinite(e)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../app/domain/analytics/dates";
import {
  AT_RISK,
  countLevels,
  pastReturns,
  relapseCurve,
  windowDays,
  wonBackHealth,
  type PastReturn,
} from "../../app/domain/analytics/won-back-health";
import { codeOutcomes, codeWindows, countCodeOutcomes, customerCodeOutcome } from "../../app/domain/analytics/code-outcome";

const RULE = { gapMultiplier: 2, horizonDays: 90 };
const T0 = Date.UTC(2026, 0, 1);
const day = (n: number) => new Date(T0 + n * DAY_MS);

describe("won-back health: the window", () => {
  it("is the customer's cycle times the shop's overdue multiplier, else the horizon, bounded", () => {
    expect(windowDays(30, RULE)).toBe(60);
    expect(windowDays(null, RULE)).toBe(90);
    expect(windowDays(2, RULE)).toBe(14);
    expect(windowDays(900, RULE)).toBe(730);
  });
});

describe("won-back health: one customer", () => {
  const base = { reactivatedAt: day(0), nextOrderAt: null, cycleDays: 30, pBuy: 0.5, horizonDays: 90 };

  it("an order inside the window is healthy; the window passing without one is lapsed again (observed, no estimate)", () => {
    expect(wonBackHealth({ ...base, nextOrderAt: day(40) }, day(100), RULE, null)).toMatchObject({
      level: "healthy",
      source: "observed",
      risk: 0,
    });
    expect(wonBackHealth(base, day(61), RULE, null)).toMatchObject({ level: "lapsed", source: "observed", risk: 1, windowDays: 60 });
    // Came back again only after the window: that was a lapse.
    expect(wonBackHealth({ ...base, nextOrderAt: day(70) }, day(80), RULE, null)).toMatchObject({ level: "lapsed", risk: 1 });
  });

  it("without shop history, the model's probability read as a constant rate over the days left", () => {
    // pBuy 0.5 over 90 days, 60-day window, 30 days elapsed: P(none in 30 days) = 0.5^(30/90).
    const h = wonBackHealth(base, day(30), RULE, null);
    expect(h.source).toBe("model");
    expect(h.risk).toBeCloseTo(Math.pow(0.5, 30 / 90), 10);
    expect(h.level).toBe(h.risk! >= AT_RISK ? "at_risk" : "healthy");
    // A low buying chance near the window's end is at risk; a high one early is healthy.
    expect(wonBackHealth({ ...base, pBuy: 0.1 }, day(50), RULE, null).level).toBe("at_risk");
    expect(wonBackHealth({ ...base, pBuy: 0.95 }, day(1), RULE, null).level).toBe("healthy");
    // The risk rises as the window runs out without an order.
    const early = wonBackHealth(base, day(5), RULE, null).risk!;
    const late = wonBackHealth(base, day(55), RULE, null).risk!;
    expect(late).toBeGreaterThan(early);
  });

  it("with no estimate at all, past half the window is at risk", () => {
    const none = { ...base, pBuy: null };
    expect(wonBackHealth(none, day(10), RULE, null)).toMatchObject({ level: "healthy", source: "none", risk: null });
    expect(wonBackHealth(none, day(31), RULE, null)).toMatchObject({ level: "at_risk", source: "none" });
  });

  it("calibrated on the shop's history when it has enough returns: S(1) / S(elapsed)", () => {
    // 40 past returns, 60-day windows: 10 reorder on day 6, 10 on day 30, 20 never (half relapse).
    const past: PastReturn[] = [
      ...Array.from({ length: 10 }, () => ({ windowDays: 60, daysToNext: 6 })),
      ...Array.from({ length: 10 }, () => ({ windowDays: 60, daysToNext: 30 })),
      ...Array.from({ length: 20 }, () => ({ windowDays: 60, daysToNext: null })),
    ];
    const curve = relapseCurve(past)!;
    expect(curve.returns).toBe(40);
    expect(curve.survival[0]).toBe(1);
    expect(curve.survival[20]).toBe(0.5);
    // At the start the risk is the shop's relapse share; after the day-30 reorders it is 20/20 = 1 of those left… at 0.5 of the window: S(1)/S(0.5) = 0.5/0.75.
    expect(wonBackHealth(base, day(0), RULE, curve)).toMatchObject({ source: "shop_history", risk: 0.5 });
    expect(wonBackHealth(base, day(15), RULE, curve).risk).toBeCloseTo(0.5 / 0.75, 10);
    expect(wonBackHealth(base, day(15), RULE, curve).level).toBe("at_risk");
    // Below MIN_RETURNS the model decides.
    expect(relapseCurve(past.slice(0, 29))).toBeNull();
  });

  it("counts levels", () => {
    expect(countLevels([{ level: "healthy" }, { level: "lapsed" }, { level: "lapsed" }])).toEqual({
      healthy: 1,
      at_risk: 0,
      lapsed: 2,
      total: 3,
    });
  });
});

describe("won-back health: past returns in an order history", () => {
  it("finds orders after a long gap whose window is over, with the days to the next order", () => {
    // Orders every 30 days, a 200-day gap, then one order 20 days later; and a second long gap whose window is still open.
    const at = [0, 30, 60, 260, 280, 600].map((d) => T0 + d * DAY_MS);
    const now = T0 + 640 * DAY_MS;
    const r = pastReturns(at, 90, RULE, now);
    // Gaps up to the return at 260: 30, 30, 200 → median 30 → window 60; the next order 20 days later.
    // The return at 600 (gap 320): gaps 30,30,200,20,320 → median 30 → window 60, ends at 660 > now: not yet known.
    expect(r).toEqual([{ windowDays: 60, daysToNext: 20 }]);
    const later = pastReturns(at, 90, RULE, T0 + 700 * DAY_MS);
    expect(later).toEqual([
      { windowDays: 60, daysToNext: 20 },
      { windowDays: 60, daysToNext: null },
    ]);
  });

  it("a next order beyond the window is a relapse (null), same-day orders are one purchase day", () => {
    const at = [0, 100, 100 + 0.2, 250].map((d) => T0 + d * DAY_MS);
    expect(pastReturns(at, 90, RULE, T0 + 1000 * DAY_MS)).toEqual([
      { windowDays: 200, daysToNext: 150 },
      { windowDays: 250, daysToNext: null },
    ]);
  });
});

describe("code outcomes", () => {
  const msgs = [
    { id: "d0", sentAt: day(0) },
    { id: "d3", sentAt: day(3) },
    { id: "d7", sentAt: day(7) },
  ];

  it("splits time into one window per message, the last ending at the code's end (or now)", () => {
    expect(codeWindows(msgs, day(14), day(30))).toEqual([
      { id: "d0", from: day(0), to: day(3) },
      { id: "d3", from: day(3), to: day(7) },
      { id: "d7", from: day(7), to: day(14) },
    ]);
    expect(codeWindows(msgs, day(14), day(10)).at(-1)).toEqual({ id: "d7", from: day(7), to: day(10) });
  });

  it("redeemed in the window of the message before the order; the others followed; ignored after the end; open before", () => {
    const w = codeWindows(msgs, day(14), day(30));
    expect(Object.fromEntries(codeOutcomes(w, [0, 1, 0], day(14), day(30)))).toEqual({ d0: "followed", d3: "redeemed", d7: "followed" });
    expect(Object.fromEntries(codeOutcomes(w, [0, 0, 0], day(14), day(30)))).toEqual({ d0: "ignored", d3: "ignored", d7: "ignored" });
    expect(Object.fromEntries(codeOutcomes(w, [0, 0, 0], day(14), day(10)))).toEqual({ d0: "open", d3: "open", d7: "open" });
    // A code without an end is never ignored.
    expect(codeOutcomes(w, [0, 0, 0], null, day(300)).get("d0")).toBe("open");
  });

  it("rolls up per customer and per campaign", () => {
    expect(customerCodeOutcome(["followed", "redeemed"])).toBe("redeemed");
    expect(customerCodeOutcome(["ignored"])).toBe("ignored");
    expect(countCodeOutcomes(["redeemed", "ignored", "ignored", "open", "no_code"])).toEqual({
      customers: 4,
      redeemed: 1,
      ignored: 2,
      open: 1,
    });
  });
});

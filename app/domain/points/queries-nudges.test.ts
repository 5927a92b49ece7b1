import { describe, expect, it } from "vitest";
import {
  applyEvent,
  DAY_MS,
  defaultPointsSettings,
  dueNudges,
  emptyPointsState,
  expiryHistogramByWeek,
  nudgeKey,
  pointsAtRisk,
  pointsExpiringWithin,
  redeem,
  rewardValue,
  type OrderEvent,
  type PointsState,
} from "./index";

const settings = defaultPointsSettings();
// A Wednesday, noon UTC.
const NOW = new Date("2026-06-10T12:00:00Z").getTime();
const at = (days: number) => new Date(NOW + days * DAY_MS);
/** an order placed so that its lot expires `daysAhead` days after NOW */
const expiringIn = (orderId: string, customerId: string, daysAhead: number, total: number): OrderEvent => ({
  type: "order",
  orderId,
  customerId,
  at: at(daysAhead - 365),
  currentTotal: total,
  cancelled: false,
  test: false,
});
const build = (events: OrderEvent[]): PointsState => events.reduce(applyEvent, emptyPointsState(settings));

describe("expiry queries", () => {
  const s = build([
    expiringIn("o1", "c1", 5, 100),
    expiringIn("o2", "c1", 14, 40),
    expiringIn("o3", "c2", 14.5, 200),
    expiringIn("o4", "c2", 45, 60),
    expiringIn("o5", "c3", -1, 500),
    expiringIn("o6", "c3", 90, 10),
  ]);

  it("points expiring within N days includes the boundary and excludes the expired", () => {
    expect(pointsExpiringWithin(s, "c1", at(0), 5)).toBe(100);
    expect(pointsExpiringWithin(s, "c1", at(0), 14)).toBe(140);
    expect(pointsExpiringWithin(s, "c3", at(0), 30)).toBe(0);
  });

  it("shop-level points and value at risk in 14/30/60 days", () => {
    expect(pointsAtRisk(s, at(0))).toEqual([
      { days: 14, points: 140, value: 7, customers: 1 },
      { days: 30, points: 340, value: 17, customers: 2 },
      { days: 60, points: 400, value: 20, customers: 2 },
    ]);
  });

  it("histogram by ISO week from the current week's Monday", () => {
    const h = expiryHistogramByWeek(s, at(0), 8);
    expect(h[0].weekStart.toISOString()).toBe("2026-06-08T00:00:00.000Z");
    expect(h[1].weekStart.toISOString()).toBe("2026-06-15T00:00:00.000Z");
    // +5d = Mon 15 Jun (week 1); +14d = Wed 24 Jun and +14.5d = Thu 25 Jun (week 2); +45d = Sat 25 Jul (week 6)
    expect(h.map((b) => b.points)).toEqual([0, 100, 240, 0, 0, 0, 60, 0]);
    expect(h[2]).toMatchObject({ lots: 2, value: 12 });
    expect(() => expiryHistogramByWeek(s, at(0), 0)).toThrow(/weeks/);
  });
});

describe("rewardValue", () => {
  it("counts whole rewards only, as a redemption gives", () => {
    const rate = { points: 100, value: 5 };
    expect([0, 99, 100, 199, 260, 1000].map((p) => rewardValue(p, rate))).toEqual([0, 0, 5, 5, 10, 50]);
    expect(rewardValue(300, { points: 150, value: 2.35 })).toBe(4.7); // cents stay exact
  });
});

describe("dueNudges", () => {
  const exp = 20; // lot o1 expires 20 days after NOW
  const s = build([expiringIn("o1", "c1", exp, 250)]);
  const lotId = "order:o1";

  it("nothing before the first offset, then 14 exactly at expiry - 14 days", () => {
    expect(dueNudges(s, at(exp - 14 - 1e-6), [])).toEqual([]);
    expect(dueNudges(s, at(exp - 14), [])).toEqual([
      { key: nudgeKey("c1", lotId, 14), customerId: "c1", lotId, offset: 14, points: 250, value: 10, expiresAt: at(exp) },
    ]);
  });

  it("is idempotent via the sent log and moves on to the next offset", () => {
    const sent = new Set([nudgeKey("c1", lotId, 14)]);
    expect(dueNudges(s, at(exp - 10), sent)).toEqual([]);
    expect(dueNudges(s, at(exp - 7), sent).map((n) => n.offset)).toEqual([7]);
    sent.add(nudgeKey("c1", lotId, 7));
    expect(dueNudges(s, at(exp - 3), sent)).toEqual([]);
    expect(dueNudges(s, at(exp - 2), sent).map((n) => n.offset)).toEqual([2]);
  });

  it("after downtime only the closest offset is sent", () => {
    expect(dueNudges(s, at(exp - 1), []).map((n) => n.offset)).toEqual([2]);
  });

  it("reports the unspent part of a partly redeemed lot; none for fully redeemed or expired lots", () => {
    const partly = redeem(s, "c1", 200, settings.redemptionRate, at(0), "r1").state;
    expect(dueNudges(partly, at(exp - 7), []).map((n) => [n.offset, n.points, n.value])).toEqual([[7, 50, 0]]); // below one reward: worth nothing on its own
    const full = applyEvent(partly, { type: "adjust", adjustmentId: "a1", customerId: "c1", points: -50, at: at(1), reason: "test" });
    expect(dueNudges(full, at(exp - 7), [])).toEqual([]);
    expect(dueNudges(s, at(exp), [])).toEqual([]);
    expect(dueNudges(s, at(exp + 1), [])).toEqual([]);
  });

  it("covers every customer and lot, soonest expiry first", () => {
    const many = build([expiringIn("a", "c1", 10, 100), expiringIn("b", "c2", 3, 100), expiringIn("c", "c2", 200, 100)]);
    expect(dueNudges(many, at(0), []).map((n) => [n.customerId, n.lotId, n.offset])).toEqual([
      ["c2", "order:b", 7],
      ["c1", "order:a", 14],
    ]);
  });
});

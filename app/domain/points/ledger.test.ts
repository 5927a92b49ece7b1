import { describe, expect, it } from "vitest";
import { isAppError } from "../../lib/errors";
import {
  applyEvent,
  balanceOf,
  customerPointsSummary,
  DAY_MS,
  defaultPointsSettings,
  emptyPointsState,
  nextExpiry,
  orderPoints,
  parsePointsSettings,
  redeem,
  type OrderEvent,
  type PointsEvent,
  type PointsState,
} from "./index";

const T0 = new Date("2026-01-10T12:00:00Z").getTime();
const day = (n: number) => new Date(T0 + n * DAY_MS);
const settings = defaultPointsSettings();
const rate = settings.redemptionRate;

const order = (orderId: string, customerId: string | null, atDay: number, total: number, extra: Partial<OrderEvent> = {}): OrderEvent => ({
  type: "order",
  orderId,
  customerId,
  at: day(atDay),
  updatedAt: day(atDay),
  currentTotal: total,
  cancelled: false,
  test: false,
  ...extra,
});
const apply = (events: PointsEvent[], s: PointsState = emptyPointsState(settings)) => events.reduce(applyEvent, s);

describe("earning", () => {
  it("earns 1 point per 1.00, rounded down per order, and nothing for test, cancelled or guest orders", () => {
    expect(orderPoints({ customerId: "c", currentTotal: 19.99, cancelled: false, test: false }, settings)).toBe(19);
    expect(
      orderPoints({ customerId: "c", currentTotal: 19.99, cancelled: false, test: false }, parsePointsSettings({ pointsPerUnit: 100 })),
    ).toBe(1999);
    expect(
      orderPoints({ customerId: "c", currentTotal: 0.29, cancelled: false, test: false }, parsePointsSettings({ pointsPerUnit: 100 })),
    ).toBe(29);
    const s = apply([
      order("o1", "c1", 0, 120.5),
      order("o2", "c1", 1, 50, { test: true }),
      order("o3", "c1", 2, 70, { cancelled: true }),
      order("o4", null, 3, 999),
    ]);
    expect(balanceOf(s, "c1", day(10))).toBe(120);
    expect(s.customers.c1.lots.map((l) => l.lotId)).toEqual(["order:o1"]);
    expect(Object.keys(s.orders).sort()).toEqual(["o1", "o2", "o3", "o4"]);
  });

  it("rejects malformed events", () => {
    expect(() => applyEvent(emptyPointsState(), order("o1", "c1", 0, -5))).toThrow(/currentTotal/);
    expect(() => applyEvent(emptyPointsState(), { ...order("o1", "c1", 0, 5), at: new Date("nope") })).toThrow(/invalid date/);
    expect(() =>
      applyEvent(emptyPointsState(), { type: "redeem", redemptionId: "r", customerId: "c", points: 1.5, at: day(0), value: 0 }),
    ).toThrow(/positive integer/);
  });
});

describe("expiry", () => {
  it("a lot is spendable until the last millisecond and expired exactly 365 days after the order", () => {
    const s = apply([order("o1", "c1", 0, 100)]);
    const exp = new Date(T0 + 365 * DAY_MS);
    expect(s.customers.c1.lots[0].expiresAt).toEqual(exp);
    expect(balanceOf(s, "c1", new Date(exp.getTime() - 1))).toBe(100);
    expect(balanceOf(s, "c1", exp)).toBe(0);
    expect(nextExpiry(s, "c1", new Date(exp.getTime() - 1))).toEqual({ expiresAt: exp, points: 100 });
    expect(nextExpiry(s, "c1", exp)).toBeNull();
    expect(() => redeem(s, "c1", 100, rate, exp, "r1")).toThrow(/insufficient balance/);
    expect(redeem(s, "c1", 100, rate, new Date(exp.getTime() - 1), "r1").value).toBe(5);
    expect(customerPointsSummary(s, "c1", exp)).toMatchObject({ balance: 0, earned: 100, expired: 100, burned: 0 });
  });

  it("a redemption skips expired lots and takes the next live one", () => {
    const s = apply([order("o1", "c1", 0, 100), order("o2", "c1", 200, 150)]);
    const r = redeem(s, "c1", 100, rate, day(365), "r1");
    expect(r.state.customers.c1.lots.map((l) => [l.lotId, l.burned])).toEqual([
      ["order:o1", 0],
      ["order:o2", 100],
    ]);
    expect(customerPointsSummary(r.state, "c1", day(365))).toMatchObject({ balance: 50, expired: 100 });
  });

  it("next expiry sums lots expiring on the same UTC day", () => {
    const s = apply([order("o1", "c1", 0, 100), order("o2", "c1", 0.2, 30), order("o3", "c1", 3, 40)]);
    expect(nextExpiry(s, "c1", day(1))).toEqual({ expiresAt: day(365), points: 130 });
  });
});

describe("FIFO burning", () => {
  it("burns oldest lots first across several lots", () => {
    const s = apply([order("o1", "c1", 0, 100), order("o2", "c1", 5, 50), order("o3", "c1", 9, 80)]);
    const r = redeem(s, "c1", 200, rate, day(20), "r1");
    expect(r.state.customers.c1.lots.map((l) => [l.lotId, l.points - l.burned])).toEqual([
      ["order:o1", 0],
      ["order:o2", 0],
      ["order:o3", 30],
    ]);
    expect(r.state.customers.c1.burns).toEqual([
      {
        source: "redemption",
        sourceId: "r1",
        at: day(20),
        points: 200,
        fromLots: [
          { lotId: "order:o1", points: 100 },
          { lotId: "order:o2", points: 50 },
          { lotId: "order:o3", points: 50 },
        ],
        unrecovered: 0,
      },
    ]);
    expect(nextExpiry(r.state, "c1", day(20))).toEqual({ expiresAt: day(374), points: 30 });
  });
});

describe("reversals", () => {
  it("a partial refund takes unspent points back from the order's own lot", () => {
    const s1 = redeem(apply([order("o1", "c1", 0, 100), order("o2", "c1", 0.5, 30)]), "c1", 100, rate, day(2), "r1").state;
    // r1 used o1; o2's 30 are unspent, so refunding o2 to 10.00 takes 20 from o2 itself.
    const s2 = applyEvent(s1, order("o2", "c1", 0.5, 10, { updatedAt: day(3) }));
    expect(balanceOf(s2, "c1", day(3))).toBe(10);
    expect(s2.customers.c1.lots.map((l) => [l.lotId, l.points, l.burned])).toEqual([
      ["order:o1", 100, 100],
      ["order:o2", 10, 0],
    ]);
    expect(s2.customers.c1.unrecovered).toBe(0);
  });

  it("a refund after partial redemption reverses the difference, moving the burn to the next lot", () => {
    const s0 = apply([order("a", "c1", 0, 100), order("b", "c1", 1, 100)]);
    const s1 = redeem(s0, "c1", 100, rate, day(2), "r1").state;
    expect(balanceOf(s1, "c1", day(2))).toBe(100);
    const s2 = applyEvent(s1, order("a", "c1", 0, 40, { updatedAt: day(3) }));
    expect(balanceOf(s2, "c1", day(3))).toBe(40);
    expect(s2.customers.c1.burns[0].fromLots).toEqual([
      { lotId: "order:a", points: 40 },
      { lotId: "order:b", points: 60 },
    ]);
  });

  it("a partial refund of a partly spent lot takes only what is still there", () => {
    const s1 = redeem(apply([order("a", "c1", 0, 300)]), "c1", 100, rate, day(1), "r1").state;
    const s2 = applyEvent(s1, order("a", "c1", 0, 250.75, { updatedAt: day(2) }));
    expect(balanceOf(s2, "c1", day(2))).toBe(150);
  });

  it("cancellation reverses all of the order's points, never below zero", () => {
    const s1 = redeem(apply([order("a", "c1", 0, 100), order("b", "c1", 1, 30)]), "c1", 100, rate, day(2), "r1").state;
    expect(balanceOf(s1, "c1", day(2))).toBe(30);
    const s2 = applyEvent(s1, order("a", "c1", 0, 100, { cancelled: true, updatedAt: day(3) }));
    expect(balanceOf(s2, "c1", day(3))).toBe(0);
    expect(s2.customers.c1.unrecovered).toBe(70);
    expect(s2.customers.c1.lots.map((l) => l.lotId)).toEqual(["order:b"]);
    expect(customerPointsSummary(s2, "c1", day(3))).toMatchObject({ balance: 0, earned: 30, burned: 30, unrecovered: 70 });
  });

  it("an order moved to another customer leaves the first and earns for the second", () => {
    const s = apply([order("a", "c1", 0, 100), order("a", "c2", 0, 100, { updatedAt: day(1) })]);
    expect(s.customers.c1).toBeUndefined();
    expect(balanceOf(s, "c2", day(2))).toBe(100);
  });
});

describe("idempotency and versions", () => {
  it("a replay of the same order version returns the same state object", () => {
    const s = apply([order("o1", "c1", 0, 100)]);
    expect(applyEvent(s, order("o1", "c1", 0, 100))).toBe(s);
  });
  it("an older version arriving late is ignored", () => {
    const s = apply([order("o1", "c1", 0, 100), order("o1", "c1", 0, 60, { updatedAt: day(2) })]);
    expect(applyEvent(s, order("o1", "c1", 0, 80, { updatedAt: day(1) }))).toBe(s);
    expect(balanceOf(s, "c1", day(3))).toBe(60);
  });
  it("same updatedAt: the cancelled / lower-total version wins whatever the arrival order", () => {
    const a = order("o1", "c1", 0, 100, { updatedAt: day(1) });
    const b = order("o1", "c1", 0, 70, { updatedAt: day(1) });
    expect(apply([a, b])).toEqual(apply([b, a]));
    expect(balanceOf(apply([a, b]), "c1", day(2))).toBe(70);
  });
  it("a redemption id reused for different content is a CONFLICT", () => {
    const s = redeem(apply([order("o1", "c1", 0, 500)]), "c1", 100, rate, day(1), "r1").state;
    try {
      applyEvent(s, { type: "redeem", redemptionId: "r1", customerId: "c1", points: 200, at: day(1), value: 10 });
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, "CONFLICT")).toBe(true);
    }
  });
});

describe("redeem", () => {
  const s = apply([order("o1", "c1", 0, 250)]);
  it("burns a multiple of the step and returns its value", () => {
    const r = redeem(s, "c1", 200, rate, day(1), "r1");
    expect(r).toMatchObject({ points: 200, value: 10, replayed: false, redemptionId: "r1" });
    expect(balanceOf(r.state, "c1", day(1))).toBe(50);
    expect(balanceOf(s, "c1", day(1))).toBe(250);
  });
  it("is idempotent by redemption id", () => {
    const r1 = redeem(s, "c1", 200, rate, day(1), "r1");
    const r2 = redeem(r1.state, "c1", 200, rate, day(1.1), "r1");
    expect(r2).toEqual({ ...r1, replayed: true });
    expect(r2.state).toBe(r1.state);
    expect(() => redeem(r1.state, "c1", 100, rate, day(1), "r1")).toThrow(/different request/);
  });
  it("rejects amounts that are not a positive multiple of the step, or above the balance", () => {
    for (const p of [0, -100, 150, 99, 100.5]) {
      try {
        redeem(s, "c1", p, rate, day(1), "x");
        expect.unreachable();
      } catch (e) {
        expect(isAppError(e, "INVALID_INPUT")).toBe(true);
        expect((e as Error).message).toMatch(/multiple of 100/);
      }
    }
    expect(() => redeem(s, "c1", 300, rate, day(1), "x")).toThrow(/insufficient balance: 250/);
    expect(() => redeem(s, "nobody", 100, rate, day(1), "x")).toThrow(/insufficient balance: 0/);
  });
  it("values odd rates to the cent", () => {
    const r = redeem(apply([order("o1", "c1", 0, 1000)]), "c1", 300, { points: 300, value: 2.99 }, day(1), "r");
    expect(r.value).toBe(2.99);
  });
});

describe("adjustments", () => {
  it("grants a lot or burns FIFO", () => {
    const s = apply([
      order("o1", "c1", 0, 100),
      { type: "adjust", adjustmentId: "g1", customerId: "c1", points: 50, at: day(1), reason: "goodwill" },
      { type: "adjust", adjustmentId: "d1", customerId: "c1", points: -120, at: day(2), reason: "fraud" },
    ]);
    expect(s.customers.c1.lots.map((l) => [l.lotId, l.points - l.burned])).toEqual([
      ["order:o1", 0],
      ["adjustment:g1", 30],
    ]);
  });
});

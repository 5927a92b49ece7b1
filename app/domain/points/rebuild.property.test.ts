import { describe, expect, it } from "vitest";
import { mulberry32 } from "../stats";
import {
  applyEvent,
  balanceOf,
  customerPointsSummary,
  DAY_MS,
  defaultPointsSettings,
  emptyPointsState,
  rebuild,
  redeem,
  type OrderEvent,
  type PointsEvent,
  type PointsState,
} from "./index";

const settings = defaultPointsSettings();
const T0 = new Date("2025-01-01T00:00:00Z").getTime();

interface History {
  live: PointsEvent[];
  final: PointsEvent[];
  state: PointsState;
  end: Date;
}

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * A shop's webhook stream: orders created, partially refunded, cancelled, occasionally re-assigned
 * to another customer; duplicates and stale versions delivered late; redemptions through the real
 * redeem() at the balance of the moment; staff adjustments. Time spans ~3 years so lots expire.
 */
function simulate(seed: number, steps = 250): History {
  const rnd = mulberry32(seed);
  const customers = ["c1", "c2", "c3", "c4", "c5"];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  let t = T0;
  let state = emptyPointsState(settings);
  const live: PointsEvent[] = [];
  const latest = new Map<string, OrderEvent>();
  const versions: OrderEvent[] = [];
  const others: PointsEvent[] = [];
  const push = (e: PointsEvent) => {
    live.push(e);
    state = applyEvent(state, e);
  };
  for (let i = 0; i < steps; i++) {
    t += Math.floor(rnd() * 6 * DAY_MS);
    const r = rnd();
    const open = [...latest.values()].filter((o) => !o.cancelled);
    if (r < 0.35 || open.length === 0) {
      const e: OrderEvent = {
        type: "order",
        orderId: `o${i}`,
        customerId: rnd() < 0.05 ? null : pick(customers),
        at: new Date(t),
        updatedAt: new Date(t),
        currentTotal: Math.round(rnd() * 30000) / 100,
        cancelled: false,
        test: rnd() < 0.05,
      };
      latest.set(e.orderId, e);
      versions.push(e);
      push(e);
    } else if (r < 0.6) {
      const o = pick(open);
      const roll = rnd();
      const e: OrderEvent = {
        ...o,
        updatedAt: new Date(t),
        currentTotal: roll < 0.6 ? Math.round(o.currentTotal * rnd() * 100) / 100 : o.currentTotal,
        cancelled: roll >= 0.6 && roll < 0.9,
        customerId: roll >= 0.9 ? pick(customers) : o.customerId,
      };
      latest.set(e.orderId, e);
      versions.push(e);
      push(e);
    } else if (r < 0.85) {
      const c = pick(customers);
      const bal = balanceOf(state, c, new Date(t));
      if (bal >= 100) {
        const points = 100 * (1 + Math.floor(rnd() * Math.floor(bal / 100)));
        const res = redeem(state, c, points, settings.redemptionRate, new Date(t), `r${i}`);
        const e = res.state.redemptions[`r${i}`];
        const ev: PointsEvent = { type: "redeem", ...e };
        live.push(ev);
        others.push(ev);
        state = res.state;
        if (rnd() < 0.3) push(ev); // client retry reaching the ledger twice
      }
    } else if (r < 0.9) {
      const ev: PointsEvent = {
        type: "adjust",
        adjustmentId: `a${i}`,
        customerId: pick(customers),
        points: pick([25, 50, -30, -200]),
        at: new Date(t),
        reason: "staff",
      };
      others.push(ev);
      push(ev);
    } else if (versions.length) {
      // Duplicate or stale delivery of an earlier version of some order.
      push(pick(versions));
    }
  }
  const final = [...latest.values(), ...others];
  return { live, final, state, end: new Date(t) };
}

function checkInvariants(s: PointsState, now: Date): void {
  for (const c of Object.values(s.customers)) {
    for (const l of c.lots) {
      expect(l.burned).toBeGreaterThanOrEqual(0);
      expect(l.burned).toBeLessThanOrEqual(l.points);
    }
    for (const b of c.burns) expect(b.fromLots.reduce((x, f) => x + f.points, 0) + b.unrecovered).toBe(b.points);
    const sum = customerPointsSummary(s, c.customerId, now);
    expect(sum.balance).toBeGreaterThanOrEqual(0);
    expect(sum.earned - sum.burned - sum.expired).toBe(sum.balance);
    const redeemed = c.redemptionIds.reduce((x, id) => x + s.redemptions[id].points, 0);
    const debited = c.adjustmentIds.reduce((x, id) => x + Math.max(0, -s.adjustments[id].points), 0);
    expect(sum.burned + c.unrecovered).toBe(redeemed + debited);
  }
}

describe("rebuild = replay (seeded property tests)", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}: live webhooks, final history and any order of the live stream give one state`, () => {
      const h = simulate(seed);
      const fromFinal = rebuild(h.final, settings);
      expect(fromFinal).toEqual(h.state);
      const rnd = mulberry32(seed * 7919);
      expect(rebuild(shuffle(h.live, rnd), settings)).toEqual(h.state);
      expect(shuffle(h.final, rnd).reduce(applyEvent, emptyPointsState(settings))).toEqual(h.state);
      checkInvariants(h.state, h.end);
      checkInvariants(h.state, new Date(h.end.getTime() + 400 * DAY_MS));
    });
  }

  it("the simulation exercises the interesting paths", () => {
    const states = [1, 2, 3, 4, 5, 6].map((s) => simulate(s).state);
    const burns = states.flatMap((s) => Object.values(s.customers).flatMap((c) => c.burns));
    expect(burns.some((b) => b.fromLots.length > 1)).toBe(true);
    expect(states.some((s) => Object.values(s.customers).some((c) => c.unrecovered > 0))).toBe(true);
    expect(states.some((s) => Object.values(s.orders).some((o) => o.cancelled))).toBe(true);
    const end = new Date(T0 + 1200 * DAY_MS);
    expect(states.some((s) => Object.keys(s.customers).some((c) => customerPointsSummary(s, c, end).expired > 0))).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { mulberry32 } from "../stats/prng";
import {
  compareTargeting,
  discountPerOrder,
  expectedIncrementalProfit,
  fitUplift,
  selectTargets,
  UPLIFT_FEATURES,
  upliftFeatures,
  upliftFold,
  incrementalAtBudget,
  predictUplift,
  qiniCoefficient,
  qiniCurve,
  type UpliftExample,
} from "./index";

/**
 * A simulated shop where only some lapsed customers respond to the offer: frequent buyers who lapsed
 * a few months ago ("persuadables") gain 20 points of ordering probability; long-gone customers (the
 * highest churn risk) and everyone else gain 1 point. Baseline ordering falls with risk. Targeting by
 * churn risk therefore spends on lost causes; targeting by measured uplift finds the persuadables.
 */
interface SimCustomer {
  features: number[];
  risk: number;
  orderValue: number;
  trueUplift: number;
}
function simulate(n: number, seed: number): { customers: SimCustomer[]; rows: UpliftExample[] } {
  const rnd = mulberry32(seed);
  const customers: SimCustomer[] = [];
  const rows: UpliftExample[] = [];
  for (let i = 0; i < n; i++) {
    const recency = 30 + rnd() * 690;
    let frequency = 1;
    while (rnd() < 0.6 && frequency < 12) frequency++;
    const orderValue = 25 * Math.exp(rnd() * 1.6);
    const risk = 1 / (1 + Math.exp(-(-2 + 0.006 * recency - 0.3 * frequency)));
    const base = 0.35 * (1 - risk);
    const trueUplift = frequency >= 3 && recency >= 120 && recency <= 360 ? 0.2 : 0.01;
    const treated = rnd() < 0.8;
    const ordered = rnd() < base + (treated ? trueUplift : 0);
    const revenue = ordered ? orderValue * (0.8 + 0.4 * rnd()) : 0;
    const features = [recency / 365, frequency / 5, Math.log(orderValue) / 5, risk];
    customers.push({ features, risk, orderValue, trueUplift });
    rows.push({ features, treated, ordered, revenue });
  }
  return { customers, rows };
}

describe("uplift targeting (two-model learner on treated vs holdout)", () => {
  const train = simulate(30_000, 1);
  const test = simulate(30_000, 2);
  const fit = fitUplift(train.rows);

  it("at the same budget (30% of customers), targeting by expected incremental profit recovers more incremental revenue than targeting by churn risk, on customers not used for fitting", () => {
    expect(fit.ok).toBe(true);
    if (!fit.ok) return;
    const upliftScore = test.customers.map((c) =>
      expectedIncrementalProfit(predictUplift(fit.model, c.features), {
        orderValue: c.orderValue,
        margin: 0.5,
        discountPerOrder: 0.15 * c.orderValue,
      }),
    );
    const riskScore = test.customers.map((c) => c.risk);
    const outcomes = test.rows.map((r) => ({ treated: r.treated, outcome: r.revenue }));
    // Measured as a campaign would measure it: treated minus holdout among those targeted.
    const byUplift = incrementalAtBudget(outcomes, upliftScore, 0.3);
    const byRisk = incrementalAtBudget(outcomes, riskScore, 0.3);
    // And against the truth the simulation knows (no sampling noise): Σ true uplift × order value.
    const truth = (score: number[]) =>
      test.customers
        .map((c, i) => ({ c, s: score[i]! }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 9000)
        .reduce((s, x) => s + x.c.trueUplift * x.c.orderValue, 0);
    const trueUplift = truth(upliftScore);
    const trueRisk = truth(riskScore);
    // Seen on this simulation (seeds 1 and 2): true incremental revenue 26,824 by uplift vs 5,556 by
    // risk (4.8x), measured treated-minus-holdout 30,276 vs 7,201 (4.2x). Asserted at 2x.
    expect(trueUplift).toBeGreaterThan(2 * trueRisk);
    expect(byUplift).toBeGreaterThan(2 * byRisk);
    const qU = qiniCoefficient(qiniCurve(outcomes, upliftScore));
    const qR = qiniCoefficient(qiniCurve(outcomes, riskScore));
    expect(qU).toBeGreaterThan(qR);
  });

  it("recovers who responds: predicted uplift is high for persuadables and near zero for the rest", () => {
    if (!fit.ok) throw new Error(fit.reason);
    const pers = test.customers.filter((c) => c.trueUplift > 0.1);
    const rest = test.customers.filter((c) => c.trueUplift < 0.1);
    const mean = (cs: SimCustomer[]) => cs.reduce((s, c) => s + predictUplift(fit.model, c.features).uplift, 0) / cs.length;
    // Seen: 0.114 for persuadables (true 0.20: the quadratic fit smooths the edges of their region)
    // against 0.024 for the rest (true 0.01).
    expect(mean(pers)).toBeGreaterThan(0.09);
    expect(mean(rest)).toBeLessThan(0.04);
    expect(mean(pers)).toBeGreaterThan(3 * mean(rest));
  });

  it("below the data it needs it does not fit, and says what it has and what it needs", () => {
    const small = simulate(600, 3).rows;
    const r = fitUplift(small);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/needs at least 1000 treated and 300 holdout/);
    expect(r.reason).toMatch(/Targeting by churn risk until then/);
    expect(r.have.treated + r.have.holdout).toBe(600);
  });

  it("the Qini curve of a perfect ranking lies above random, a reversed one below", () => {
    const rows = [
      { treated: true, outcome: 1 },
      { treated: false, outcome: 0 },
      { treated: true, outcome: 0 },
      { treated: false, outcome: 1 },
    ];
    const good = qiniCoefficient(qiniCurve(rows, [4, 3, 1, 2], 4));
    const bad = qiniCoefficient(qiniCurve(rows, [1, 2, 4, 3], 4));
    expect(good).toBeGreaterThan(0);
    expect(bad).toBeLessThan(0);
  });
});

describe("targeting the plan by risk or by expected incremental profit (ADR 100)", () => {
  const c = (id: string, churnRisk: number, profit: number | null, expectedCost = 1) => ({ id, churnRisk, profit, expectedCost });

  it("orders by risk or by profit, cuts at the budget in customers or expected discount cost, and never sends at a loss by profit", () => {
    const cands = [c("1", 0.9, -2), c("2", 0.5, 5), c("3", 0.7, 1), c("4", 0.2, 3)];
    expect(selectTargets(cands, "risk", { maxCustomers: 2, maxDiscountCost: null }).map((x) => x.id)).toEqual(["1", "3"]);
    expect(selectTargets(cands, "profit", { maxCustomers: null, maxDiscountCost: null }).map((x) => x.id)).toEqual(["2", "4", "3"]);
    expect(selectTargets(cands, "profit", { maxCustomers: null, maxDiscountCost: 2 }).map((x) => x.id)).toEqual(["2", "4"]);
    expect(selectTargets(cands, "risk", { maxCustomers: null, maxDiscountCost: 0.5 })).toEqual([]);
    // ties: the same inputs always give the same members
    expect(selectTargets([c("9", 0.5, 1), c("10", 0.5, 1)], "risk", { maxCustomers: 1, maxDiscountCost: null })[0]!.id).toBe("10");
    expect(() => selectTargets([c("1", 0.5, null)], "profit", { maxCustomers: null, maxDiscountCost: null })).toThrow(/expected profit/);
  });

  it("features mean the same at assignment and now: recency and tenure from the instant, a missing risk reads 0.5", () => {
    const day = 86_400_000;
    const at = 1_000 * day;
    const h = { orders: 3, firstAt: at - 730 * day, lastAt: at - 182.5 * day, spent: 150, clicks: 2, opens: 0, churnRisk: null };
    const x = upliftFeatures(h, at);
    expect(x).toHaveLength(UPLIFT_FEATURES.length);
    expect(x[0]).toBeCloseTo(0.5, 10);
    expect(x[1]).toBeCloseTo(Math.log(4), 10);
    expect(x[2]).toBeCloseTo(Math.log1p(50) / 5, 10);
    expect(x[3]).toBeCloseTo(2, 10);
    expect(x.slice(4)).toEqual([1, 0, 0.5]);
    // the same customer a year later: one year more of recency and tenure, nothing else
    const y = upliftFeatures({ ...h, churnRisk: 0.8 }, at + 365 * day);
    expect(y[0]).toBeCloseTo(1.5, 10);
    expect(y[3]).toBeCloseTo(3, 10);
    expect(y[6]).toBe(0.8);
  });

  it("the discount per order: a percentage of the usual order, or the fixed amount", () => {
    expect(discountPerOrder({ kind: "percentage", value: 15 }, 80)).toBeCloseTo(12, 10);
    expect(discountPerOrder({ kind: "fixed_amount", value: 10 }, 80)).toBe(10);
  });

  it("folds split by the unit hash, and bad units are refused", () => {
    expect(upliftFold(0.1)).toBe("evaluate");
    expect(upliftFold(0.5)).toBe("fit");
    expect(() => upliftFold(1)).toThrow(/unit/);
  });

  it("compareTargeting on held-out rows: the simulated persuadables put uplift ahead of risk, with one Qini point per share", () => {
    const train = simulate(20_000, 5);
    const test = simulate(10_000, 6);
    const fit = fitUplift(train.rows);
    if (!fit.ok) throw new Error(fit.reason);
    const rows = test.rows.map((r, i) => ({
      treated: r.treated,
      revenue: r.revenue,
      churnRisk: test.customers[i]!.risk,
      profit: expectedIncrementalProfit(predictUplift(fit.model, r.features), {
        orderValue: test.customers[i]!.orderValue,
        margin: 0.5,
        discountPerOrder: 0.15 * test.customers[i]!.orderValue,
      }),
    }));
    const cmp = compareTargeting(rows, 0.3);
    expect(cmp.customers).toBe(10_000);
    expect(cmp.curve).toHaveLength(21);
    expect(cmp.byProfit).toBeGreaterThan(cmp.byRisk);
    expect(cmp.qini.profit).toBeGreaterThan(cmp.qini.risk);
    expect(() => compareTargeting(rows, 0)).toThrow(/budget share/);
  });
});

/**
 * Issue 15 item 6: "engagement, discount use and refunds join the features where the shop has them".
 * A simulated shop where the three signals carry information about the future that purchase history
 * alone does not: deal seekers (most orders with a code) and refunders stop buying sooner, and a human
 * click in an email often leads to an order within two months. The score trained with the signals must
 * rank next quarter's buyers better than the same score without them, on outcomes after asOf that
 * neither saw.
 */
import { describe, expect, it } from "vitest";
import { analyze } from "./analyze";
import { auc } from "./auc";
import { HistoryAccumulator, type PurchaseHistories } from "./histories";
import { presentSignals, signalFeatures, SignalsBuilder, type CustomerSignals } from "./signals";
import { mulberry32 } from "../stats/prng";

const AS_OF = 730,
  H = 91;

function simulate(n: number, seed: number) {
  const r = mulberry32(seed);
  const exp = (mean: number) => -Math.log(1 - r()) * mean;
  const acc = new HistoryAccumulator("UTC");
  const sig = new SignalsBuilder("UTC");
  const future = new Map<string, boolean>();
  for (let i = 0; i < n; i++) {
    const id = `c${i}`;
    const deal = r() < 0.3,
      refunder = r() < 0.15,
      clicker = r() < 0.4;
    const first = Math.floor(r() * 600);
    if (first > AS_OF) continue;
    const death = first + exp(refunder ? 200 : deal ? 250 : 2000);
    const gap = exp(120); // this customer's mean days between orders
    const orderDays: number[] = [];
    for (let day = first; day <= AS_OF + H && day <= death; day += Math.max(1, Math.round(exp(gap)))) orderDays.push(day);
    // a human click often leads to an order within two months (while the customer is still buying)
    for (let d = first; d <= AS_OF + H && d <= death; d++)
      if (r() < (clicker ? 0.01 : 0.001)) {
        if (d <= AS_OF) sig.addDay(id, "click", d);
        if (r() < 0.4) orderDays.push(d + 5 + Math.floor(r() * 55));
      }
    let boughtNext = false;
    for (const day of orderDays) {
      if (day > AS_OF + H) continue;
      if (day > AS_OF) {
        boughtNext = true;
        continue;
      }
      acc.addDay(id, day, 20 + Math.floor(r() * 80));
      if (r() < (deal ? 0.85 : 0.1)) sig.addDay(id, "discount", day);
      if (r() < (refunder ? 0.5 : 0.03)) sig.addDay(id, "refund", day);
    }
    if (!orderDays.some((d) => d <= AS_OF)) continue;
    future.set(id, boughtNext);
  }
  const h = acc.build();
  return { h, signals: sig.build(h.customerIds), future };
}

const cache = new Map<string, ReturnType<typeof score>>();
const ranking = (key: string, h: PurchaseHistories, future: Map<string, boolean>, signals?: CustomerSignals) => {
  if (!cache.has(key)) cache.set(key, score(h, future, signals));
  return cache.get(key)!;
};
const score = (h: PurchaseHistories, future: Map<string, boolean>, signals?: CustomerSignals) => {
  const res = analyze(h, { asOf: AS_OF, timeUnit: "week", settings: { prediction: { horizonDays: H } }, signals });
  const p = res.rows.map((row) => row.pBuy!);
  const y = res.rows.map((row) => future.get(row.customerId)!);
  return { res, auc: auc(p, y), p };
};

describe("signals beyond purchase history in the churn score", () => {
  const { h, signals, future } = simulate(5000, 7);

  it("discount use, refunds and clicks join the features and rank next quarter's buyers better", () => {
    const without = ranking("without", h, future);
    const withSignals = ranking("with", h, future, signals);
    expect(without.res.model!.churn!.signals).toEqual([]);
    expect(withSignals.res.model!.churn!.signals).toEqual(["discount", "refund", "click"]);
    console.log(`AUC without signals ${without.auc.toFixed(4)}, with ${withSignals.auc.toFixed(4)}`);
    // measured 0.8903 → 0.8995 (seed 7, 5,000 customers); the margin asserted is half of that gain
    expect(withSignals.auc - without.auc).toBeGreaterThan(0.0045);
    // the learnt weights point the way the simulation works: deals and refunds lower the chance, clicks raise it
    const { weights: w, means } = withSignals.res.model!.churn!.logistic; // the intercept comes last
    const k = means.length - 3;
    console.log(
      `signal weights ${w
        .slice(k, k + 3)
        .map((v) => v.toFixed(3))
        .join(", ")}`,
    );
    expect(w[k]).toBeLessThan(0);
    expect(w[k + 1]).toBeLessThan(0);
    expect(w[k + 2]).toBeGreaterThan(0);
  });

  it("a shop without the signals gets exactly the purchase-history score", () => {
    const none = new SignalsBuilder("UTC").build(h.customerIds);
    expect(score(h, future, none).p).toEqual(ranking("without", h, future).p);
  });

  it("a signal only a handful of customers show is left out", () => {
    const few = new SignalsBuilder("UTC");
    for (let i = 0; i < 10; i++) few.addDay(h.customerIds[i], "refund", 100);
    const built = few.build(h.customerIds);
    expect(presentSignals(built, Int32Array.from(h.customerIds.keys()), AS_OF)).toEqual([]);
  });

  it("features read only events on or before their day (training at an earlier cut sees no future)", () => {
    const b = new SignalsBuilder("UTC");
    b.addDay("a", "discount", 10);
    b.addDay("a", "click", 50);
    b.addDay("a", "discount", 200);
    b.addDay("a", "click", 150);
    b.addDay("b", "refund", 5);
    const s = b.build(["a", "b", "unknown"]);
    // as of day 100: one discounted purchase day of 2, no refund, one click within 90 days
    expect(signalFeatures(s, 0, 100, 2, ["discount", "refund", "click"])).toEqual([0.5, 0, Math.log1p(1)]);
    // as of day 200: the day-50 click is older than 90 days, the day-150 one is not
    expect(signalFeatures(s, 0, 200, 4, ["click", "discount"])).toEqual([Math.log1p(1), 0.5]);
    expect(signalFeatures(s, 1, 100, 1, ["refund"])).toEqual([1]);
    expect(signalFeatures(s, 2, 100, 1, ["refund"])).toEqual([0]);
  });
});

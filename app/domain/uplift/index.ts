import { fitLogistic, predictLogistic, type LogisticModel } from "../analytics/logistic";
import { AppError } from "../../lib/errors";

/**
 * Uplift targeting (issue 15 item 5): who orders BECAUSE of the offer, not who is at risk. Every
 * campaign and program keeps a random holdout, so past members are a randomised experiment; a
 * two-model learner (Künzel et al. 2019 call it the T-learner) fits P(order | x, treated) on treated
 * members and P(order | x, holdout) on holdout members, and the uplift is their difference. A
 * customer's expected incremental profit of sending the offer is then
 *     uplift × order value × margin − P(order | treated) × discount per order,
 * because the code's cost is paid by everyone who orders with it, including those who would have
 * ordered anyway. Targeting by that, instead of by churn risk, stops spending on the "lost causes"
 * (high risk, no response) and the "sure things" (would order anyway).
 */
export interface UpliftExample {
  /** the score's features (recency, frequency, value, churn risk …), same order for every row */
  features: number[];
  treated: boolean;
  /** ordered inside the measurement window */
  ordered: boolean;
  /** what they paid inside the window (0 without an order) */
  revenue: number;
}

export interface UpliftModel {
  treated: LogisticModel;
  control: LogisticModel;
  /** how raw features are expanded before the logistic fits (squares and pairwise products) */
  expand: "quadratic";
}

export interface DataNeeds {
  treated: number;
  holdout: number;
  /** responders needed in each arm: without them the rates are noise */
  respondersPerArm: number;
}

/** Below this the model is not fitted and the plan keeps targeting by churn risk (said on the page). */
export const MIN_UPLIFT_DATA: DataNeeds = { treated: 1000, holdout: 300, respondersPerArm: 30 };

export type UpliftFit =
  | { ok: true; model: UpliftModel }
  | { ok: false; reason: string; have: { treated: number; holdout: number; treatedResponders: number; holdoutResponders: number } };

/** x, x², and every pairwise product: lets two logistic fits bend where a response is local (a bump in recency, say). */
export function expandQuadratic(x: readonly number[]): number[] {
  const out = x.slice();
  for (let i = 0; i < x.length; i++) out.push(x[i]! * x[i]!);
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) out.push(x[i]! * x[j]!);
  return out;
}

export function fitUplift(rows: readonly UpliftExample[], needs: DataNeeds = MIN_UPLIFT_DATA, opts: { l2?: number } = {}): UpliftFit {
  const t = rows.filter((r) => r.treated);
  const c = rows.filter((r) => !r.treated);
  const have = {
    treated: t.length,
    holdout: c.length,
    treatedResponders: t.filter((r) => r.ordered).length,
    holdoutResponders: c.filter((r) => r.ordered).length,
  };
  if (
    have.treated < needs.treated ||
    have.holdout < needs.holdout ||
    Math.min(have.treatedResponders, have.holdoutResponders) < needs.respondersPerArm
  )
    return {
      ok: false,
      reason: `Uplift targeting needs at least ${needs.treated} treated and ${needs.holdout} holdout customers with ${needs.respondersPerArm} orders in each; so far ${have.treated} treated (${have.treatedResponders} ordered) and ${have.holdout} holdout (${have.holdoutResponders} ordered). Targeting by churn risk until then.`,
      have,
    };
  const l2 = opts.l2 ?? 1;
  const fit = (xs: UpliftExample[]) =>
    fitLogistic(
      xs.map((r) => expandQuadratic(r.features)),
      xs.map((r) => r.ordered),
      { l2, maxIter: 100 },
    );
  return { ok: true, model: { treated: fit(t), control: fit(c), expand: "quadratic" } };
}

export interface UpliftPrediction {
  pTreated: number;
  pControl: number;
  uplift: number;
}

export function predictUplift(m: UpliftModel, features: readonly number[]): UpliftPrediction {
  const x = expandQuadratic(features);
  const pTreated = predictLogistic(m.treated, x);
  const pControl = predictLogistic(m.control, x);
  return { pTreated, pControl, uplift: pTreated - pControl };
}

export interface ProfitTerms {
  /** expected order value (e.g. the customer's average order value) */
  orderValue: number;
  /** gross margin share of revenue, 0..1 */
  margin: number;
  /** the offer's cost per order that uses it (e.g. 15% of the order value) */
  discountPerOrder: number;
}

/** Expected incremental profit of sending the offer to this customer. */
export function expectedIncrementalProfit(p: UpliftPrediction, terms: ProfitTerms): number {
  return p.uplift * terms.orderValue * terms.margin - p.pTreated * terms.discountPerOrder;
}

export interface QiniPoint {
  /** share of customers targeted, 0..1 */
  share: number;
  /** incremental outcome among the targeted, scaled to their number: R_T − R_C · N_T / N_C */
  incremental: number;
}

/**
 * The Qini curve (Radcliffe 2007) of a ranking on held-out randomised data: customers sorted by
 * `score` (highest first); at each cut the incremental outcome is the treated outcome minus the
 * holdout outcome scaled to the treated count. `outcome` is revenue or 1/0 for ordered.
 */
export function qiniCurve(
  rows: ReadonlyArray<{ treated: boolean; outcome: number }>,
  score: ReadonlyArray<number>,
  points = 20,
): QiniPoint[] {
  if (score.length !== rows.length) throw new AppError("INVALID_INPUT", "qiniCurve: one score per row");
  const order = rows.map((_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const out: QiniPoint[] = [{ share: 0, incremental: 0 }];
  let nT = 0;
  let nC = 0;
  let rT = 0;
  let rC = 0;
  let next = 1;
  for (let k = 0; k < order.length; k++) {
    const r = rows[order[k]!]!;
    if (r.treated) {
      nT++;
      rT += r.outcome;
    } else {
      nC++;
      rC += r.outcome;
    }
    const share = (k + 1) / order.length;
    if (share >= next / points - 1e-12) {
      out.push({ share, incremental: nC > 0 ? rT - (rC * nT) / nC : 0 });
      next++;
    }
  }
  return out;
}

/** Area between the Qini curve and the straight line of random targeting (trapezoids); higher is better. */
export function qiniCoefficient(curve: readonly QiniPoint[]): number {
  if (curve.length < 2) return 0;
  const last = curve[curve.length - 1]!;
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    const randA = last.incremental * a.share;
    const randB = last.incremental * b.share;
    area += ((a.incremental - randA + (b.incremental - randB)) / 2) * (b.share - a.share);
  }
  return area;
}

/**
 * Incremental outcome among the top `share` of customers by `score`, estimated on randomised rows the
 * way a campaign is measured: (mean treated − mean holdout) × number targeted.
 */
export function incrementalAtBudget(
  rows: ReadonlyArray<{ treated: boolean; outcome: number }>,
  score: ReadonlyArray<number>,
  share: number,
): number {
  const order = rows.map((_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const top = order.slice(0, Math.round(order.length * share)).map((i) => rows[i]!);
  const t = top.filter((r) => r.treated);
  const c = top.filter((r) => !r.treated);
  if (!t.length || !c.length) return 0;
  const mean = (xs: typeof t) => xs.reduce((s, r) => s + r.outcome, 0) / xs.length;
  return (mean(t) - mean(c)) * top.length;
}

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

/* ---- Features, targeting and the held-out comparison (the plan's side, ADR 100) ---- */

/** What is known of a customer at one instant: the order history before it, engagement before it, the analysis's risk. */
export interface HistoryAt {
  /** qualifying orders before the instant */
  orders: number;
  /** epoch ms of the first and last of them (null without orders) */
  firstAt: number | null;
  lastAt: number | null;
  /** what those orders came to */
  spent: number;
  /** people's clicks and opens of our emails before the instant (machine opens left out) */
  clicks: number;
  opens: number;
  /** the analysis's churn risk then; null when it was not recorded (members assigned before ADR 100) */
  churnRisk: number | null;
}

/** The feature vector's entries, in order (the page names them). */
export const UPLIFT_FEATURES = [
  "years since the last order",
  "log orders",
  "log average order value",
  "years since the first order",
  "clicked an email before",
  "opened an email before",
  "churn risk",
] as const;

const YEAR_MS = 365 * 86_400_000;

/**
 * The same function of the same facts for a past member at their assignment and for a candidate
 * now, so the model's inputs mean the same thing when it is fitted and when it is used. A missing
 * churn risk is read as 0.5 (no information) rather than dropping the row.
 */
export function upliftFeatures(h: HistoryAt, at: number): number[] {
  const recency = h.lastAt == null ? 3 : Math.min(3, Math.max(0, (at - h.lastAt) / YEAR_MS));
  const tenure = h.firstAt == null ? 0 : Math.min(10, Math.max(0, (at - h.firstAt) / YEAR_MS));
  const aov = h.orders > 0 ? h.spent / h.orders : 0;
  return [
    recency,
    Math.log1p(h.orders),
    Math.log1p(Math.max(0, aov)) / 5,
    tenure,
    h.clicks > 0 ? 1 : 0,
    h.opens > 0 ? 1 : 0,
    h.churnRisk == null || !Number.isFinite(h.churnRisk) ? 0.5 : Math.min(1, Math.max(0, h.churnRisk)),
  ];
}

/** Which of two halves of past members a customer falls in: fitted on ("fit") or only evaluated on ("evaluate"). */
export function upliftFold(unit: number, evaluateShare = 0.3): "fit" | "evaluate" {
  if (!(unit >= 0 && unit < 1)) throw new AppError("INVALID_INPUT", "upliftFold: unit must be in [0, 1)");
  return unit < evaluateShare ? "evaluate" : "fit";
}

/** The offer's cost per order that uses it: a percentage of what the customer usually pays, or the fixed amount. */
export function discountPerOrder(d: { kind: "percentage" | "fixed_amount"; value: number }, orderValue: number): number {
  return d.kind === "percentage" ? (Math.min(100, d.value) / 100) * Math.max(0, orderValue) : d.value;
}

export interface TargetCandidate {
  id: string;
  churnRisk: number;
  /** expected incremental profit of sending the offer (null: no model, targeting by risk) */
  profit: number | null;
  /** expected discount cost of sending: P(order | offer) × discount per order */
  expectedCost: number;
}

export interface TargetBudget {
  maxCustomers: number | null;
  maxDiscountCost: number | null;
}

/**
 * The plan's choice of whom to send the offer: ordered by churn risk (highest first) or by expected
 * incremental profit (highest first, and never a customer whose expected profit is negative: the
 * offer loses money on them), then cut at the budget (customers, or expected discount cost). Ties
 * are broken by id so the same inputs always give the same members.
 */
export function selectTargets(cands: readonly TargetCandidate[], by: "risk" | "profit", budget: TargetBudget): TargetCandidate[] {
  if (by === "profit" && cands.some((c) => c.profit == null))
    throw new AppError("INVALID_INPUT", "selectTargets: targeting by profit needs every candidate's expected profit");
  const key = (c: TargetCandidate) => (by === "risk" ? c.churnRisk : c.profit!);
  const ranked = (by === "profit" ? cands.filter((c) => c.profit! > 0) : cands.slice()).sort(
    (a, b) => key(b) - key(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const out: TargetCandidate[] = [];
  let cost = 0;
  for (const c of ranked) {
    if (budget.maxCustomers != null && out.length >= budget.maxCustomers) break;
    if (budget.maxDiscountCost != null && cost + c.expectedCost > budget.maxDiscountCost) break;
    cost += c.expectedCost;
    out.push(c);
  }
  return out;
}

export interface HeldOutRow {
  treated: boolean;
  revenue: number;
  /** expected incremental profit the model fitted on the other fold gives this past member */
  profit: number;
  /** their churn risk at assignment */
  churnRisk: number;
}

export interface TargetingComparison {
  /** held-out past members the comparison is measured on */
  customers: number;
  /** share of them the budget reaches (the plan's budget as a share of its candidates) */
  budgetShare: number;
  /** incremental revenue (treated − holdout, scaled to the number reached) among the top budgetShare by each ranking */
  byProfit: number;
  byRisk: number;
  /** Qini curves of incremental revenue, both rankings at the same shares */
  curve: Array<{ share: number; profit: number; risk: number }>;
  qini: { profit: number; risk: number };
}

/** Uplift targeting against churn-risk targeting on past members the model was not fitted on. */
export function compareTargeting(rows: readonly HeldOutRow[], budgetShare: number, points = 20): TargetingComparison {
  if (!(budgetShare > 0 && budgetShare <= 1)) throw new AppError("INVALID_INPUT", "compareTargeting: budget share must be in (0, 1]");
  const outcomes = rows.map((r) => ({ treated: r.treated, outcome: r.revenue }));
  const profit = rows.map((r) => r.profit);
  const risk = rows.map((r) => r.churnRisk);
  const qp = qiniCurve(outcomes, profit, points);
  const qr = qiniCurve(outcomes, risk, points);
  return {
    customers: rows.length,
    budgetShare,
    byProfit: incrementalAtBudget(outcomes, profit, budgetShare),
    byRisk: incrementalAtBudget(outcomes, risk, budgetShare),
    curve: qp.map((p, i) => ({ share: p.share, profit: p.incremental, risk: qr[i]?.incremental ?? 0 })),
    qini: { profit: qiniCoefficient(qp), risk: qiniCoefficient(qr) },
  };
}

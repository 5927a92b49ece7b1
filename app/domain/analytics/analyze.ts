import { AppError, isAppError } from "../../lib/errors";
import {
  bgnbdExpectedPurchases,
  bgnbdMedianTimeToNext,
  bgnbdPAlive,
  bgnbdProbNoPurchase,
  bgnbdSufficientStats,
  fitBgNbd,
  type BgNbdFit,
} from "./bgnbd";
import { fitGammaGamma, gammaGammaExpectedValue, type GammaGammaFit } from "./gammagamma";
import { dayFromIso, isoFromDay } from "./dates";
import type { PurchaseHistories } from "./histories";
import { fitLogistic, predictLogistic, type LogisticModel } from "./logistic";
import { resolveSettings, type Settings, type SettingsInput } from "./settings";
import { presentSignals, signalFeatures, type CustomerSignals, type SignalKind } from "./signals";

export type LapseClass = "active" | "at_risk" | "high_risk" | "lost";
export type TimeUnit = "day" | "week";

export interface CustomerSummary {
  orders: number;
  totalSpent: number;
  aov: number;
  firstDay: number;
  lastDay: number;
  purchaseDays: number;
  daysSinceLastOrder: number;
  medianGapDays: number | null;
}

/** Figures of one customer as of day `asOf` (inclusive); null when the customer had not ordered yet. */
export function summarizeCustomer(
  days: ArrayLike<number>,
  values: ArrayLike<number>,
  orders: ArrayLike<number> | null,
  asOf: number,
): CustomerSummary | null {
  let k = 0;
  while (k < days.length && days[k] <= asOf) k++;
  if (k === 0) return null;
  let total = 0,
    n = 0;
  for (let i = 0; i < k; i++) {
    total += values[i];
    n += orders ? orders[i] : 1;
  }
  const gaps: number[] = [];
  for (let i = 1; i < k; i++) gaps.push(days[i] - days[i - 1]);
  return {
    orders: n,
    totalSpent: total,
    aov: total / n,
    firstDay: days[0],
    lastDay: days[k - 1],
    purchaseDays: k,
    daysSinceLastOrder: asOf - days[k - 1],
    medianGapDays: gaps.length ? median(gaps) : null,
  };
}

function median(a: number[]): number {
  a.sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

export function lapseClass(daysSince: number, s: Settings = resolveSettings()): LapseClass {
  if (daysSince < s.lapse.atRiskDays) return "active";
  if (daysSince < s.lapse.highRiskDays) return "at_risk";
  if (daysSince < s.lapse.lostDays) return "high_risk";
  return "lost";
}

export function isOverdue(
  c: Pick<CustomerSummary, "purchaseDays" | "daysSinceLastOrder" | "medianGapDays">,
  s: Settings = resolveSettings(),
): boolean {
  return (
    c.purchaseDays >= s.overdue.minPurchaseDays &&
    c.medianGapDays !== null &&
    c.daysSinceLastOrder > s.overdue.gapMultiplier * c.medianGapDays
  );
}

/** Nearest-rank percentile: value at rank ceil(p·n) of the ascending totals. */
export function vipThreshold(totals: ArrayLike<number>, s: Settings = resolveSettings()): number | null {
  if (s.vip.fixedThreshold !== null) return s.vip.fixedThreshold;
  if (totals.length === 0) return null;
  const sorted = Float64Array.from(totals).sort();
  return sorted[Math.max(1, Math.ceil(s.vip.percentile * sorted.length)) - 1];
}

export interface CustomerAnalysis {
  customerId: string;
  orders: number;
  totalSpent: number;
  aov: number;
  firstOrderDate: string;
  lastOrderDate: string;
  purchaseDays: number;
  daysSinceLastOrder: number;
  medianGapDays: number | null;
  lapseClass: LapseClass;
  overdue: boolean;
  vip: boolean;
  target: boolean;
  branch: "vip" | "standard" | null;
  /** BG/NBD P(alive): kept for internal use only; it ranks one-time buyers as certain to be alive (ADR 082). */
  pAlive: number | null;
  /** P(at least one purchase within `prediction.horizonDays` after asOf) = 1 − churnRisk; null without a trained model. */
  pBuy: number | null;
  expectedPurchases90d: number | null;
  expectedOrderValue: number | null;
  predicted12mValue: number | null;
  expectedNextOrderDate: string | null;
  churnRisk: number;
}

export interface ReliabilityBin {
  /** Mean predicted probability of buying within the training window in this decile of predictions. */
  predicted: number;
  /** Share of the decile's customers who did buy within it. */
  observed: number;
  customers: number;
}

/** The churn combiner and how it was trained (ADR 082). */
export interface ChurnModel {
  logistic: LogisticModel;
  /** Horizon the score names: P(buy within horizonDays after asOf). */
  horizonDays: number;
  /**
   * Length of the inner split: equal to horizonDays unless the history is too short, in which case the
   * combiner covers the first trainedDays and BG/NBD carries the rest (conditional on silence until then).
   */
  trainedDays: number;
  /** The inner cut (asOf − trainedDays): features as of this day, label "ordered in (cut, asOf]". */
  cut: string;
  trainingCustomers: number;
  trainingPositives: number;
  /** Out-of-fold predictions on the inner split (two folds) against what happened, by decile of prediction. */
  reliability: ReliabilityBin[];
  /**
   * Only when trainedDays < horizonDays: a Platt map from the combiner's score with features over the full
   * horizon to a probability, fitted (soft labels) to composedBuy on today's customers. The ranking is the
   * combiner's; the level comes from the trained window plus BG/NBD's chance of silence after it.
   */
  horizonMap: LogisticModel | null;
  /** Signals beyond purchase history the combiner was trained with (ADR 110), in feature order; [] when none. */
  signals: SignalKind[];
}

export interface ModelResult {
  timeUnit: TimeUnit;
  bgnbd: BgNbdFit;
  gammaGamma: GammaGammaFit | null;
  churn: ChurnModel | null;
}

export interface RiskSummary {
  customers: number;
  repeatCustomers: number;
  classes: Record<LapseClass, { count: number; share: number }>;
  overdue: number;
  vip: number;
  targets: { vip: number; standard: number; total: number };
  historicalNorm: {
    silent90Share: number | null;
    silent90SharePriorYear: number | null;
    ordersPerCustomerLast12m: number | null;
    ordersPerCustomerPrior12m: number | null;
  };
  shop: { orders: number; revenue: number; guestOrders: number; guestRevenue: number };
}

export interface AnalysisResult extends RiskSummary {
  asOf: string;
  vipThreshold: number | null;
  model: ModelResult | null;
  modelMessage: string | null;
  rows: CustomerAnalysis[];
}

export interface AnalyzeOptions {
  /** Inclusive analysis date, YYYY-MM-DD or day number. Orders after it are ignored. */
  asOf: string | number;
  settings?: SettingsInput;
  timeUnit?: TimeUnit;
  /** Called once the models are fitted, before every customer is scored (the app times the two phases). */
  onFitted?: () => void;
  /**
   * Discount use, refunds and email clicks aligned to `h.customerIds` (SignalsBuilder.build); each kind
   * the shop has joins the churn combiner's features (ADR 110). Absent: purchase history only.
   */
  signals?: CustomerSignals;
}

interface Snapshot {
  idx: Int32Array; // customer indices with ≥1 order by asOf
  x: Int32Array;
  tx: Int32Array;
  T: Int32Array;
  rec: Int32Array;
}

function snapshot(h: PurchaseHistories, asOf: number): Snapshot {
  const C = h.customerIds.length;
  const idx: number[] = [];
  const x = new Int32Array(C),
    tx = new Int32Array(C),
    T = new Int32Array(C),
    rec = new Int32Array(C);
  let n = 0;
  for (let c = 0; c < C; c++) {
    const s = h.offsets[c],
      e = h.offsets[c + 1];
    let k = s;
    while (k < e && h.days[k] <= asOf) k++;
    if (k === s) continue;
    idx.push(c);
    x[n] = k - s - 1;
    tx[n] = h.days[k - 1] - h.days[s];
    T[n] = asOf - h.days[s];
    rec[n] = asOf - h.days[k - 1];
    n++;
  }
  return { idx: Int32Array.from(idx), x: x.subarray(0, n), tx: tx.subarray(0, n), T: T.subarray(0, n), rec: rec.subarray(0, n) };
}

/** Features of the churn model; all computable as of any date, so the model can be trained on an earlier cut. */
function churnFeatures(fit: BgNbdFit, unit: number, horizonDays: number, x: number, txD: number, TD: number, recD: number): number[] {
  const ep = bgnbdExpectedPurchases(fit, horizonDays / unit, x, txD / unit, TD / unit);
  return [Math.log1p(recD), Math.log(ep + 1e-9), Math.log1p(x), TD / unit];
}

/**
 * Longest inner split, up to the horizon, whose cut still has at least half of today's customers (and
 * minCustomers), with a median customer age at the cut at least half of today's. The combiner uses age
 * and recency, so a cut where everyone is new would teach it weights it then extrapolates far outside
 * what it saw (on CDNOW, a single Q1-1997 cohort, a 229-day split as of 1997-09-30 predicted 0.05 against
 * 0.29 observed). A shop with Y years of steady acquisition gets up to Y/2; young shops and cohorts get
 * a split shorter than the horizon, and fitHorizonMap carries the score to the full horizon.
 */
/** ADR 010's inner split: the age rule never shortens the split below this (or the horizon). */
const QUARTER_DAYS = 91;

function innerSplitDays(h: PurchaseHistories, asOf: number, horizonDays: number, s: Settings): number {
  const first: number[] = [];
  for (let c = 0; c < h.customerIds.length; c++)
    if (h.offsets[c + 1] > h.offsets[c] && h.days[h.offsets[c]] <= asOf) first.push(h.days[h.offsets[c]]);
  const need = Math.max(s.prediction.minCustomers, Math.ceil(first.length / 2));
  if (first.length < need) return 0;
  first.sort((a, b) => a - b);
  const longest = Math.min(horizonDays, asOf - first[need - 1]);
  const floor = Math.min(longest, QUARTER_DAYS);
  let w = longest;
  const ageNow = asOf - first[Math.floor((first.length - 1) / 2)];
  for (; w >= 1; w--) {
    const cut = asOf - w;
    let k = 0,
      hi = first.length; // k = customers with a first order on or before the cut
    while (k < hi) {
      const m = (k + hi) >> 1;
      if (first[m] <= cut) k = m + 1;
      else hi = m;
    }
    if (k >= need && cut - first[Math.floor((k - 1) / 2)] >= ageNow / 2) return Math.max(w, floor);
  }
  return floor > 0 ? floor : 0;
}

const RELIABILITY_SAMPLE = 100_000;

/** Ten equal-count bins of predictions against outcomes (fewer when there are under ten customers per bin). */
function reliabilityBins(p: Float64Array, y: boolean[]): ReliabilityBin[] {
  const order = Array.from(p.keys()).sort((a, b) => p[a] - p[b]);
  const bins = Math.min(10, Math.floor(order.length / 10));
  const out: ReliabilityBin[] = [];
  for (let d = 0; d < bins; d++) {
    const from = Math.floor((d * order.length) / bins),
      to = Math.floor(((d + 1) * order.length) / bins);
    let sp = 0,
      so = 0;
    for (let k = from; k < to; k++) {
      sp += p[order[k]];
      if (y[order[k]]) so++;
    }
    out.push({ predicted: sp / (to - from), observed: so / (to - from), customers: to - from });
  }
  return out;
}

/**
 * Churn risk = 1 − P(buys within the horizon) from a logistic regression on BG/NBD expected purchases,
 * recency, frequency and age, trained for the horizon it is applied at and inside the history only:
 * features as of cut = asOf − inner (BG/NBD refitted at the cut), label "ordered in (cut, asOf]", where
 * inner = horizonDays when the history allows (see innerSplitDays, docs/decisions/082).
 */
function trainChurn(h: PurchaseHistories, asOf: number, unit: number, s: Settings, sig: CustomerSignals | undefined): ChurnModel | null {
  const horizon = s.prediction.horizonDays;
  const inner = innerSplitDays(h, asOf, horizon, s);
  if (inner < 1) return null;
  const cut = asOf - inner;
  const snap = snapshot(h, cut);
  if (snap.idx.length < s.prediction.minCustomers) return null;
  // Which signals the shop has is decided at the cut, where the combiner learns their weights.
  const signals = sig ? presentSignals(sig, snap.idx, cut) : [];
  let fit: BgNbdFit;
  try {
    fit = fitBgNbd(bgnbdSufficientStats(snap.x, snap.tx, snap.T, unit), s.prediction);
  } catch (e) {
    if (isAppError(e, "INSUFFICIENT_DATA")) return null;
    throw e;
  }
  const X: number[][] = [];
  const y: boolean[] = [];
  for (let i = 0; i < snap.idx.length; i++) {
    const c = snap.idx[i];
    X.push([
      ...churnFeatures(fit, unit, inner, snap.x[i], snap.tx[i], snap.T[i], snap.rec[i]),
      ...signalsAt(sig, signals, c, cut, snap.x[i]),
    ]);
    let bought = false;
    for (let k = h.offsets[c]; k < h.offsets[c + 1]; k++)
      if (h.days[k] > cut && h.days[k] <= asOf) {
        bought = true;
        break;
      }
    y.push(bought);
  }
  const pos = y.filter(Boolean).length;
  if (pos < 5 || pos > y.length - 5) return null;
  const logistic = fitLogistic(X, y, { l2: 1 });
  // Two-fold cross-fit for the reliability chart: each half is scored by a combiner that never saw it.
  // Deciles need no more than RELIABILITY_SAMPLE customers, so large shops use every k-th one (at most
  // one more fit's worth of work on that sample); the shipped combiner is still trained on everyone.
  const step = Math.max(1, Math.ceil(X.length / RELIABILITY_SAMPLE));
  const sx: number[][] = [],
    sy: boolean[] = [];
  for (let i = 0; i < X.length; i += step) {
    sx.push(X[i]);
    sy.push(y[i]);
  }
  const oof = new Float64Array(sx.length);
  for (let fold = 0; fold < 2; fold++) {
    const tr: number[][] = [],
      ty: boolean[] = [];
    for (let i = 0; i < sx.length; i++)
      if (i % 2 !== fold) {
        tr.push(sx[i]);
        ty.push(sy[i]);
      }
    const m = fitLogistic(tr, ty, { l2: 1 });
    for (let i = fold; i < sx.length; i += 2) oof[i] = predictLogistic(m, sx[i]);
  }
  return {
    logistic,
    horizonDays: horizon,
    trainedDays: inner,
    cut: isoFromDay(cut),
    trainingCustomers: y.length,
    trainingPositives: pos,
    reliability: reliabilityBins(oof, sy),
    horizonMap: null,
    signals,
  };
}

/** Customer c's signal features as of `day` (x = repeat purchase days by then). */
function signalsAt(sig: CustomerSignals | undefined, used: readonly SignalKind[], c: number, day: number, x: number): number[] {
  return sig && used.length ? signalFeatures(sig, c, day, x + 1, used) : [];
}

/** P(at least one purchase in (asOf, asOf + horizonDays]) for one customer; `extra` = their signal features. */
function predictBuy(m: ChurnModel, bg: BgNbdFit, unit: number, x: number, txD: number, TD: number, recD: number, extra: number[]): number {
  if (m.horizonMap) {
    const q = predictLogistic(m.logistic, [...churnFeatures(bg, unit, m.horizonDays, x, txD, TD, recD), ...extra]);
    return predictLogistic(m.horizonMap, [logit(q)]);
  }
  return composedBuy(m, bg, unit, x, txD, TD, recD, extra);
}

const logit = (q: number) => {
  const c = Math.min(1 - 1e-12, Math.max(1e-12, q));
  return Math.log(c / (1 - c));
};

/**
 * Short-history case (trainedDays < horizonDays): composedBuy is a probability for the full horizon but
 * ranks worse than the combiner fed full-horizon features (CDNOW 273 d as of 1997-09-30: AUC 0.768 vs 0.770);
 * the latter ranks well but its level belongs to the shorter window it was trained on (ADR 010's score, the
 * same thing with a 91-day window: mean 0.23 against 0.30 observed).
 * A one-feature logistic on the latter's logit, with composedBuy as soft label, keeps the ranking and takes
 * the level. Uses only today's features: no outcome after asOf.
 */
function fitHorizonMap(
  m: ChurnModel,
  bg: BgNbdFit,
  unit: number,
  snap: Snapshot,
  sig: CustomerSignals | undefined,
  asOf: number,
): LogisticModel {
  const X: number[][] = [],
    y: number[] = [];
  for (let i = 0; i < snap.idx.length; i++) {
    const extra = signalsAt(sig, m.signals, snap.idx[i], asOf, snap.x[i]);
    X.push([
      logit(
        predictLogistic(m.logistic, [...churnFeatures(bg, unit, m.horizonDays, snap.x[i], snap.tx[i], snap.T[i], snap.rec[i]), ...extra]),
      ),
    ]);
    y.push(composedBuy(m, bg, unit, snap.x[i], snap.tx[i], snap.T[i], snap.rec[i], extra));
  }
  return fitLogistic(X, y, { l2: 0 });
}

/**
 * The combiner gives P(buy) for the first trainedDays; the rest of the horizon is BG/NBD's chance of silence
 * over the remaining days for a customer who stayed silent through trainedDays (same x, t_x; age T + trainedDays).
 */
function composedBuy(m: ChurnModel, bg: BgNbdFit, unit: number, x: number, txD: number, TD: number, recD: number, extra: number[]): number {
  const pInner = predictLogistic(m.logistic, [...churnFeatures(bg, unit, m.trainedDays, x, txD, TD, recD), ...extra]);
  if (m.trainedDays >= m.horizonDays) return pInner;
  const quietRest = bgnbdProbNoPurchase(bg, (m.horizonDays - m.trainedDays) / unit, x, txD / unit, (TD + m.trainedDays) / unit);
  return 1 - (1 - pInner) * quietRest;
}

/** Rules-only churn risk when no model can be fitted: recency against the lost threshold and own cycle. */
function ruleChurnRisk(c: CustomerSummary, s: Settings): number {
  const base = Math.min(1, c.daysSinceLastOrder / s.lapse.lostDays);
  if (c.medianGapDays === null || c.medianGapDays <= 0) return 0.5 + 0.5 * base;
  const cycle = c.daysSinceLastOrder / c.medianGapDays;
  return Math.min(1, 0.5 * base + 0.5 * (cycle / (1 + cycle)));
}

/**
 * The analysis in steps (docs/decisions/096-analysis-off-the-event-loop.md): the models are fitted
 * when it is created, then `next` scores the customers a slice at a time, so a caller can write a
 * slice's rows before the next exists (a million row objects never live at once), and `summary`
 * gives the shop's figures once every customer is scored. `analyze` is this in one go: same rows,
 * same figures.
 */
export interface AnalysisSteps {
  /** Customers with an order by asOf: how many rows `next` returns in all. */
  readonly customers: number;
  readonly asOf: string;
  readonly vipThreshold: number | null;
  readonly model: ModelResult | null;
  readonly modelMessage: string | null;
  /** The next (up to) `limit` customers' rows, in history order; empty once all are scored. */
  next(limit: number): CustomerAnalysis[];
  /** The shop's figures (AnalysisResult without rows); only after every customer was scored. */
  summary(): Omit<AnalysisResult, "rows">;
}

export function analyzeInSteps(h: PurchaseHistories, opts: AnalyzeOptions): AnalysisSteps {
  const s = resolveSettings(opts.settings);
  const asOf = typeof opts.asOf === "number" ? opts.asOf : dayFromIso(opts.asOf);
  const timeUnit = opts.timeUnit ?? "week";
  const unit = timeUnit === "week" ? 7 : 1;
  const snap = snapshot(h, asOf);
  const n = snap.idx.length;
  // Only the totals are needed before scoring (the VIP threshold); each customer's summary is
  // computed again when it is scored, so no array of a million summary objects is kept. The sum
  // runs in summarizeCustomer's order, so the totals are the same doubles.
  const totals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = snap.idx[i];
    let total = 0;
    for (let k = h.offsets[c], e = h.offsets[c + 1]; k < e && h.days[k] <= asOf; k++) total += h.values[k];
    totals[i] = total;
  }
  const vipT = vipThreshold(totals, s);

  let model: ModelResult | null = null;
  let modelMessage: string | null = null;
  try {
    const bg = fitBgNbd(bgnbdSufficientStats(snap.x, snap.tx, snap.T, unit), s.prediction);
    const gx: number[] = [],
      gm: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = snap.idx[i];
      const x = snap.x[i];
      if (x < 1) continue;
      let sum = 0;
      for (let k = h.offsets[c] + 1; k <= h.offsets[c] + x; k++) sum += h.values[k];
      if (sum > 0) {
        gx.push(x);
        gm.push(sum / x);
      }
    }
    let gg: GammaGammaFit | null = null;
    try {
      gg = fitGammaGamma(Int32Array.from(gx), Float64Array.from(gm), { minCustomers: s.prediction.minRepeatCustomers });
    } catch (e) {
      if (!isAppError(e, "INSUFFICIENT_DATA")) throw e;
      modelMessage = e.message;
    }
    const churnModel = trainChurn(h, asOf, unit, s, opts.signals);
    if (churnModel && churnModel.trainedDays < churnModel.horizonDays)
      churnModel.horizonMap = fitHorizonMap(churnModel, bg, unit, snap, opts.signals, asOf);
    model = { timeUnit, bgnbd: bg, gammaGamma: gg, churn: churnModel };
  } catch (e) {
    if (!isAppError(e, "INSUFFICIENT_DATA")) throw e;
    modelMessage = e.message;
  }

  opts.onFitted?.();
  const classes = { active: 0, at_risk: 0, high_risk: 0, lost: 0 };
  let overdueN = 0,
    vipN = 0,
    tVip = 0,
    tStd = 0,
    repeat = 0,
    orders = 0,
    revenue = 0;
  let done = 0;
  const score = (i: number): CustomerAnalysis => {
    const at = snap.idx[i];
    const a = h.offsets[at],
      e = h.offsets[at + 1];
    const c = summarizeCustomer(h.days.subarray(a, e), h.values.subarray(a, e), h.orders.subarray(a, e), asOf)!;
    const cls = lapseClass(c.daysSinceLastOrder, s);
    const overdue = isOverdue(c, s);
    const vip = vipT !== null && c.totalSpent >= vipT;
    const target = cls === "at_risk" || cls === "high_risk" || (cls === "lost" && s.targets.includeLost) || (cls === "active" && overdue);
    classes[cls]++;
    if (overdue) overdueN++;
    if (vip) vipN++;
    if (target) {
      if (vip) tVip++;
      else tStd++;
    }
    if (c.purchaseDays > 1) repeat++;
    orders += c.orders;
    revenue += c.totalSpent;
    let pAlive: number | null = null,
      pBuy: number | null = null,
      ep90: number | null = null,
      eov: number | null = null,
      v12: number | null = null,
      next: string | null = null;
    let churn = ruleChurnRisk(c, s);
    if (model) {
      const x = snap.x[i],
        txU = snap.tx[i] / unit,
        TU = snap.T[i] / unit;
      pAlive = bgnbdPAlive(model.bgnbd, x, txU, TU);
      ep90 = bgnbdExpectedPurchases(model.bgnbd, s.prediction.horizonDays / unit, x, txU, TU);
      if (model.gammaGamma) {
        const m = x > 0 ? (c.totalSpent - h.values[h.offsets[snap.idx[i]]]) / x : 0;
        eov = gammaGammaExpectedValue(model.gammaGamma, x, m);
        v12 = eov * bgnbdExpectedPurchases(model.bgnbd, s.prediction.valueHorizonDays / unit, x, txU, TU);
      }
      next = isoFromDay(asOf + Math.max(1, Math.round(bgnbdMedianTimeToNext(model.bgnbd, x, TU) * unit)));
      if (model.churn) {
        const extra = signalsAt(opts.signals, model.churn.signals, at, asOf, x);
        pBuy = predictBuy(model.churn, model.bgnbd, unit, x, snap.tx[i], snap.T[i], snap.rec[i], extra);
        churn = 1 - pBuy;
      }
    }
    return {
      customerId: h.customerIds[snap.idx[i]],
      orders: c.orders,
      totalSpent: c.totalSpent,
      aov: c.aov,
      firstOrderDate: isoFromDay(c.firstDay),
      lastOrderDate: isoFromDay(c.lastDay),
      purchaseDays: c.purchaseDays,
      daysSinceLastOrder: c.daysSinceLastOrder,
      medianGapDays: c.medianGapDays,
      lapseClass: cls,
      overdue,
      vip,
      target,
      branch: target ? (vip ? "vip" : "standard") : null,
      pAlive,
      pBuy,
      expectedPurchases90d: ep90,
      expectedOrderValue: eov,
      predicted12mValue: v12,
      expectedNextOrderDate: next,
      churnRisk: churn,
    };
  };
  return {
    customers: n,
    asOf: isoFromDay(asOf),
    vipThreshold: vipT,
    model,
    modelMessage,
    next(limit) {
      const to = Math.min(n, done + Math.max(0, Math.floor(limit)));
      const rows: CustomerAnalysis[] = new Array(to - done);
      for (let i = done; i < to; i++) rows[i - done] = score(i);
      done = to;
      return rows;
    },
    summary() {
      if (done < n) throw new AppError("INTERNAL", `analysis summary asked for after ${done} of ${n} customers were scored`);
      let guestOrders = 0,
        guestRevenue = 0;
      for (let i = 0; i < h.guestDays.length; i++)
        if (h.guestDays[i] <= asOf) {
          guestOrders++;
          guestRevenue += h.guestValues[i];
        }
      const share = (k: number) => ({ count: k, share: n ? k / n : 0 });
      return {
        asOf: isoFromDay(asOf),
        vipThreshold: vipT,
        customers: n,
        repeatCustomers: repeat,
        classes: {
          active: share(classes.active),
          at_risk: share(classes.at_risk),
          high_risk: share(classes.high_risk),
          lost: share(classes.lost),
        },
        overdue: overdueN,
        vip: vipN,
        targets: { vip: tVip, standard: tStd, total: tVip + tStd },
        historicalNorm: historicalNorm(h, asOf, s),
        shop: { orders: orders + guestOrders, revenue: revenue + guestRevenue, guestOrders, guestRevenue },
        model,
        modelMessage,
      };
    },
  };
}

export function analyze(h: PurchaseHistories, opts: AnalyzeOptions): AnalysisResult {
  const steps = analyzeInSteps(h, opts);
  const rows = steps.next(steps.customers);
  return { ...steps.summary(), rows };
}

/** Silent-90+ share now vs one lookback earlier, and orders per customer in the last vs prior window. */
export function historicalNorm(h: PurchaseHistories, asOf: number, s: Settings = resolveSettings()): RiskSummary["historicalNorm"] {
  const silentShare = (d: number): number | null => {
    let base = 0,
      silent = 0;
    for (let c = 0; c < h.customerIds.length; c++) {
      const a = h.offsets[c],
        e = h.offsets[c + 1];
      if (h.days[a] > d) continue;
      let k = a;
      while (k + 1 < e && h.days[k + 1] <= d) k++;
      base++;
      if (d - h.days[k] >= s.lapse.atRiskDays) silent++;
    }
    return base ? silent / base : null;
  };
  // orders in (end − window, end] per customer who had ordered by `end`
  const perCustomer = (end: number): number | null => {
    let base = 0,
      ord = 0;
    for (let c = 0; c < h.customerIds.length; c++) {
      const a = h.offsets[c],
        e = h.offsets[c + 1];
      if (h.days[a] > end) continue;
      base++;
      for (let k = a; k < e; k++) if (h.days[k] > end - s.norm.windowDays && h.days[k] <= end) ord += h.orders[k];
    }
    return base ? ord / base : null;
  };
  return {
    silent90Share: silentShare(asOf),
    silent90SharePriorYear: silentShare(asOf - s.norm.lookbackDays),
    ordersPerCustomerLast12m: perCustomer(asOf),
    ordersPerCustomerPrior12m: perCustomer(asOf - s.norm.windowDays),
  };
}

export function riskSummary(r: AnalysisResult): RiskSummary {
  const { customers, repeatCustomers, classes, overdue, vip, targets, historicalNorm: hn, shop } = r;
  return { customers, repeatCustomers, classes, overdue, vip, targets, historicalNorm: hn, shop };
}

/** Churn risk from model outputs alone (for callers that hold fitted parameters but not a trained combiner). */
export function churnRisk(pBuyAgain: number): number {
  if (!Number.isFinite(pBuyAgain)) throw new AppError("INVALID_INPUT", "churnRisk: probability must be finite");
  return Math.min(1, Math.max(0, 1 - pBuyAgain));
}

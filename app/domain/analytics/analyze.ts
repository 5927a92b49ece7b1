import { AppError, isAppError } from "../../lib/errors";
import { bgnbdExpectedPurchases, bgnbdMedianTimeToNext, bgnbdPAlive, bgnbdSufficientStats, fitBgNbd, type BgNbdFit } from "./bgnbd";
import { fitGammaGamma, gammaGammaExpectedValue, type GammaGammaFit } from "./gammagamma";
import { dayFromIso, isoFromDay } from "./dates";
import type { PurchaseHistories } from "./histories";
import { fitLogistic, predictLogistic, type LogisticModel } from "./logistic";
import { resolveSettings, type Settings, type SettingsInput } from "./settings";

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
export function summarizeCustomer(days: ArrayLike<number>, values: ArrayLike<number>, orders: ArrayLike<number> | null, asOf: number): CustomerSummary | null {
  let k = 0;
  while (k < days.length && days[k] <= asOf) k++;
  if (k === 0) return null;
  let total = 0, n = 0;
  for (let i = 0; i < k; i++) { total += values[i]; n += orders ? orders[i] : 1; }
  const gaps: number[] = [];
  for (let i = 1; i < k; i++) gaps.push(days[i] - days[i - 1]);
  return {
    orders: n, totalSpent: total, aov: total / n, firstDay: days[0], lastDay: days[k - 1], purchaseDays: k,
    daysSinceLastOrder: asOf - days[k - 1], medianGapDays: gaps.length ? median(gaps) : null,
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

export function isOverdue(c: Pick<CustomerSummary, "purchaseDays" | "daysSinceLastOrder" | "medianGapDays">, s: Settings = resolveSettings()): boolean {
  return c.purchaseDays >= s.overdue.minPurchaseDays && c.medianGapDays !== null && c.daysSinceLastOrder > s.overdue.gapMultiplier * c.medianGapDays;
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
  pAlive: number | null;
  expectedPurchases90d: number | null;
  expectedOrderValue: number | null;
  predicted12mValue: number | null;
  expectedNextOrderDate: string | null;
  churnRisk: number;
}

export interface ModelResult {
  timeUnit: TimeUnit;
  bgnbd: BgNbdFit;
  gammaGamma: GammaGammaFit | null;
  churn: LogisticModel | null;
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
}

interface Snapshot {
  idx: Int32Array; // customer indices with ≥1 order by asOf
  x: Int32Array; tx: Int32Array; T: Int32Array; rec: Int32Array;
}

function snapshot(h: PurchaseHistories, asOf: number): Snapshot {
  const C = h.customerIds.length;
  const idx: number[] = [];
  const x = new Int32Array(C), tx = new Int32Array(C), T = new Int32Array(C), rec = new Int32Array(C);
  let n = 0;
  for (let c = 0; c < C; c++) {
    const s = h.offsets[c], e = h.offsets[c + 1];
    let k = s;
    while (k < e && h.days[k] <= asOf) k++;
    if (k === s) continue;
    idx.push(c);
    x[n] = k - s - 1; tx[n] = h.days[k - 1] - h.days[s]; T[n] = asOf - h.days[s]; rec[n] = asOf - h.days[k - 1];
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
 * Churn risk = 1 − P(buys again within the horizon) from a logistic regression on BG/NBD expected
 * purchases, recency, frequency and age. It is trained inside the history only: features as of
 * asOf − churnInnerDays, label "bought in (asOf − churnInnerDays, asOf]" (see docs/decisions/010).
 */
function trainChurn(h: PurchaseHistories, asOf: number, unit: number, s: Settings): LogisticModel | null {
  const inner = s.prediction.churnInnerDays;
  const cut = asOf - inner;
  const snap = snapshot(h, cut);
  if (snap.idx.length < s.prediction.minCustomers) return null;
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
    X.push(churnFeatures(fit, unit, inner, snap.x[i], snap.tx[i], snap.T[i], snap.rec[i]));
    let bought = false;
    for (let k = h.offsets[c]; k < h.offsets[c + 1]; k++) if (h.days[k] > cut && h.days[k] <= asOf) { bought = true; break; }
    y.push(bought);
  }
  const pos = y.filter(Boolean).length;
  if (pos < 5 || pos > y.length - 5) return null;
  return fitLogistic(X, y, { l2: 1 });
}

/** Rules-only churn risk when no model can be fitted: recency against the lost threshold and own cycle. */
function ruleChurnRisk(c: CustomerSummary, s: Settings): number {
  const base = Math.min(1, c.daysSinceLastOrder / s.lapse.lostDays);
  if (c.medianGapDays === null || c.medianGapDays <= 0) return 0.5 + 0.5 * base;
  const cycle = c.daysSinceLastOrder / c.medianGapDays;
  return Math.min(1, 0.5 * base + 0.5 * (cycle / (1 + cycle)));
}

export function analyze(h: PurchaseHistories, opts: AnalyzeOptions): AnalysisResult {
  const s = resolveSettings(opts.settings);
  const asOf = typeof opts.asOf === "number" ? opts.asOf : dayFromIso(opts.asOf);
  const timeUnit = opts.timeUnit ?? "week";
  const unit = timeUnit === "week" ? 7 : 1;
  const snap = snapshot(h, asOf);
  const n = snap.idx.length;
  const summaries: CustomerSummary[] = new Array(n);
  const totals = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = snap.idx[i];
    const a = h.offsets[c], e = h.offsets[c + 1];
    summaries[i] = summarizeCustomer(h.days.subarray(a, e), h.values.subarray(a, e), h.orders.subarray(a, e), asOf)!;
    totals[i] = summaries[i].totalSpent;
  }
  const vipT = vipThreshold(totals, s);

  let model: ModelResult | null = null;
  let modelMessage: string | null = null;
  try {
    const bg = fitBgNbd(bgnbdSufficientStats(snap.x, snap.tx, snap.T, unit), s.prediction);
    const gx: number[] = [], gm: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = snap.idx[i];
      const x = snap.x[i];
      if (x < 1) continue;
      let sum = 0;
      for (let k = h.offsets[c] + 1; k <= h.offsets[c] + x; k++) sum += h.values[k];
      if (sum > 0) { gx.push(x); gm.push(sum / x); }
    }
    let gg: GammaGammaFit | null = null;
    try {
      gg = fitGammaGamma(Int32Array.from(gx), Float64Array.from(gm), { minCustomers: s.prediction.minRepeatCustomers });
    } catch (e) {
      if (!isAppError(e, "INSUFFICIENT_DATA")) throw e;
      modelMessage = e.message;
    }
    model = { timeUnit, bgnbd: bg, gammaGamma: gg, churn: trainChurn(h, asOf, unit, s) };
  } catch (e) {
    if (!isAppError(e, "INSUFFICIENT_DATA")) throw e;
    modelMessage = e.message;
  }

  const classes = { active: 0, at_risk: 0, high_risk: 0, lost: 0 };
  let overdueN = 0, vipN = 0, tVip = 0, tStd = 0, repeat = 0, orders = 0, revenue = 0;
  const rows: CustomerAnalysis[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const c = summaries[i];
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
    let pAlive: number | null = null, ep90: number | null = null, eov: number | null = null, v12: number | null = null, next: string | null = null;
    let churn = ruleChurnRisk(c, s);
    if (model) {
      const x = snap.x[i], txU = snap.tx[i] / unit, TU = snap.T[i] / unit;
      pAlive = bgnbdPAlive(model.bgnbd, x, txU, TU);
      ep90 = bgnbdExpectedPurchases(model.bgnbd, s.prediction.horizonDays / unit, x, txU, TU);
      if (model.gammaGamma) {
        const m = x > 0 ? (c.totalSpent - h.values[h.offsets[snap.idx[i]]]) / x : 0;
        eov = gammaGammaExpectedValue(model.gammaGamma, x, m);
        v12 = eov * bgnbdExpectedPurchases(model.bgnbd, s.prediction.valueHorizonDays / unit, x, txU, TU);
      }
      next = isoFromDay(asOf + Math.max(1, Math.round(bgnbdMedianTimeToNext(model.bgnbd, x, TU) * unit)));
      if (model.churn) {
        churn = 1 - predictLogistic(model.churn, churnFeatures(model.bgnbd, unit, s.prediction.horizonDays, x, snap.tx[i], snap.T[i], snap.rec[i]));
      }
    }
    rows[i] = {
      customerId: h.customerIds[snap.idx[i]], orders: c.orders, totalSpent: c.totalSpent, aov: c.aov,
      firstOrderDate: isoFromDay(c.firstDay), lastOrderDate: isoFromDay(c.lastDay), purchaseDays: c.purchaseDays,
      daysSinceLastOrder: c.daysSinceLastOrder, medianGapDays: c.medianGapDays, lapseClass: cls, overdue, vip, target,
      branch: target ? (vip ? "vip" : "standard") : null, pAlive, expectedPurchases90d: ep90, expectedOrderValue: eov,
      predicted12mValue: v12, expectedNextOrderDate: next, churnRisk: churn,
    };
  }
  let guestOrders = 0, guestRevenue = 0;
  for (let i = 0; i < h.guestDays.length; i++) if (h.guestDays[i] <= asOf) { guestOrders++; guestRevenue += h.guestValues[i]; }
  const share = (k: number) => ({ count: k, share: n ? k / n : 0 });
  return {
    asOf: isoFromDay(asOf), vipThreshold: vipT, customers: n, repeatCustomers: repeat,
    classes: { active: share(classes.active), at_risk: share(classes.at_risk), high_risk: share(classes.high_risk), lost: share(classes.lost) },
    overdue: overdueN, vip: vipN, targets: { vip: tVip, standard: tStd, total: tVip + tStd },
    historicalNorm: historicalNorm(h, asOf, s),
    shop: { orders: orders + guestOrders, revenue: revenue + guestRevenue, guestOrders, guestRevenue },
    model, modelMessage, rows,
  };
}

/** Silent-90+ share now vs one lookback earlier, and orders per customer in the last vs prior window. */
export function historicalNorm(h: PurchaseHistories, asOf: number, s: Settings = resolveSettings()): RiskSummary["historicalNorm"] {
  const silentShare = (d: number): number | null => {
    let base = 0, silent = 0;
    for (let c = 0; c < h.customerIds.length; c++) {
      const a = h.offsets[c], e = h.offsets[c + 1];
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
    let base = 0, ord = 0;
    for (let c = 0; c < h.customerIds.length; c++) {
      const a = h.offsets[c], e = h.offsets[c + 1];
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

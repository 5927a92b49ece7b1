/**
 * Health of customers won back (issue 15 item 6, docs/decisions/102-visits-codes-and-won-back-health.md):
 * the risk that a customer who came back after a long silence lapses again, i.e. the probability
 * of no further order within their own window after the win-back order. Pure: the caller reads
 * the members, orders and scores and passes them in.
 *
 * The window is the customer's own: their median gap between orders times the shop's "overdue"
 * multiplier (when the shop itself would call them overdue), or the model's horizon when they
 * have no cycle yet. The risk, while the window is still open and no order came, is
 * P(no order by the window's end | none so far):
 * - calibrated on the shop's own history when it holds enough past returns after a long gap
 *   (`relapseCurve`): the observed share of those returners still without an order at each
 *   fraction of their window, S(1) / S(elapsed);
 * - else from the model's own probability: the score's P(at least one order within H days)
 *   read as a constant daily rate, P(none in the r days left) = (1 − pBuy)^(r / H).
 */
import { DAY_MS } from "./dates";

export type HealthLevel = "healthy" | "at_risk" | "lapsed";
export const HEALTH_LEVELS: readonly HealthLevel[] = ["healthy", "at_risk", "lapsed"];
/** At or above this risk a won-back customer is "at risk". */
export const AT_RISK = 0.5;
/** Past returns (fully observed) needed before the shop's own history replaces the model. */
export const MIN_RETURNS = 30;
/** Points of the relapse curve (fractions of the window, 0 … 1). */
const CURVE_STEPS = 20;

export interface WindowRule {
  /** The shop's overdue multiplier (settings.overdue.gapMultiplier). */
  gapMultiplier: number;
  /** The model's horizon (settings.prediction.horizonDays): the window without a cycle. */
  horizonDays: number;
}

/** A customer's own window after a win-back order, in days (bounded to 14 … 730). */
export function windowDays(cycleDays: number | null | undefined, rule: WindowRule): number {
  const raw = cycleDays != null && Number.isFinite(cycleDays) && cycleDays > 0 ? cycleDays * rule.gapMultiplier : rule.horizonDays;
  return Math.min(730, Math.max(14, Math.round(raw)));
}

/** The shop's history of returns: share still without an order at fraction k/CURVE_STEPS of the window. */
export interface RelapseCurve {
  returns: number;
  /** survival[k] = share of returners with no order by k/CURVE_STEPS of their window; survival[0] = 1. */
  survival: number[];
}

/** One past return after a long gap: its window and the days to the next order (null: none within the window). */
export interface PastReturn {
  windowDays: number;
  daysToNext: number | null;
}

/**
 * Past returns in one customer's order history (instants in ms, ascending): every order that came
 * after a gap of at least `longGapDays`, whose whole window lies before `now` (so the outcome is
 * known). The window uses the gaps up to and including the return, as the score would have.
 */
export function pastReturns(at: ArrayLike<number>, longGapDays: number, rule: WindowRule, now: number): PastReturn[] {
  const out: PastReturn[] = [];
  const gaps: number[] = [];
  for (let i = 1; i < at.length; i++) {
    const gap = (at[i]! - at[i - 1]!) / DAY_MS;
    if (gap < 1) continue; // same-day orders are one purchase day, as in the score
    gaps.push(gap);
    if (gap < longGapDays) continue;
    const w = windowDays(median(gaps), rule);
    if (at[i]! + w * DAY_MS > now) continue;
    let next: number | null = null;
    for (let j = i + 1; j < at.length; j++) {
      const d = (at[j]! - at[i]!) / DAY_MS;
      if (d < 1) continue;
      if (d <= w) next = d;
      break;
    }
    out.push({ windowDays: w, daysToNext: next });
  }
  return out;
}

/** The relapse curve of the shop's past returns, or null below MIN_RETURNS (then the model decides). */
export function relapseCurve(returns: readonly PastReturn[], minReturns = MIN_RETURNS): RelapseCurve | null {
  if (returns.length < minReturns) return null;
  const survival: number[] = [];
  for (let k = 0; k <= CURVE_STEPS; k++) {
    const u = k / CURVE_STEPS;
    let alive = 0;
    for (const r of returns) if (r.daysToNext === null || r.daysToNext > u * r.windowDays) alive++;
    survival.push(alive / returns.length);
  }
  return { returns: returns.length, survival };
}

function survivalAt(curve: RelapseCurve, u: number): number {
  const x = Math.min(1, Math.max(0, u)) * CURVE_STEPS;
  const k = Math.floor(x);
  if (k >= CURVE_STEPS) return curve.survival[CURVE_STEPS]!;
  const f = x - k;
  return curve.survival[k]! * (1 - f) + curve.survival[k + 1]! * f;
}

export interface WonBackInput {
  /** The win-back order's instant (CampaignMember.reactivatedAt). */
  reactivatedAt: Date;
  /** The first qualifying order after the win-back order, if any. */
  nextOrderAt: Date | null;
  /** The customer's median days between orders (CustomerScore.medianGapDays), null without one. */
  cycleDays: number | null;
  /** The model's P(at least one order within `horizonDays`) from the latest analysis; null without a model. */
  pBuy: number | null;
  horizonDays: number;
}

export interface WonBackHealth {
  level: HealthLevel;
  /** P(no order within the window after the win-back order), null when the outcome is observed or no estimate exists. */
  risk: number | null;
  source: "observed" | "shop_history" | "model" | "none";
  windowDays: number;
  windowEndsAt: Date;
}

/** One won-back customer's health at `now`. */
export function wonBackHealth(c: WonBackInput, now: Date, rule: WindowRule, curve: RelapseCurve | null): WonBackHealth {
  const w = windowDays(c.cycleDays, rule);
  const windowEndsAt = new Date(c.reactivatedAt.getTime() + w * DAY_MS);
  const base = { windowDays: w, windowEndsAt };
  if (c.nextOrderAt && c.nextOrderAt.getTime() <= windowEndsAt.getTime()) return { ...base, level: "healthy", risk: 0, source: "observed" };
  // No order within the window is a lapse, even if one came later: that is what "how many lapse again" counts.
  if (now.getTime() >= windowEndsAt.getTime() || c.nextOrderAt) return { ...base, level: "lapsed", risk: 1, source: "observed" };
  const elapsed = Math.max(0, (now.getTime() - c.reactivatedAt.getTime()) / DAY_MS);
  let risk: number | null = null;
  let source: WonBackHealth["source"] = "none";
  if (curve) {
    const alive = survivalAt(curve, elapsed / w);
    risk = alive > 0 ? Math.min(1, survivalAt(curve, 1) / alive) : 1;
    source = "shop_history";
  } else if (c.pBuy != null && Number.isFinite(c.pBuy) && c.horizonDays > 0) {
    const p = Math.min(1, Math.max(0, c.pBuy));
    risk = Math.pow(1 - p, (w - elapsed) / c.horizonDays);
    source = "model";
  }
  // Without any estimate (no model, too little history) only time speaks: past half the window is at risk.
  const atRisk = risk != null ? risk >= AT_RISK : elapsed >= w / 2;
  return { ...base, level: atRisk ? "at_risk" : "healthy", risk, source };
}

export type HealthCounts = Record<HealthLevel, number> & { total: number };

/** Counts per level. */
export function countLevels(items: Iterable<{ level: HealthLevel }>): HealthCounts {
  const out: HealthCounts = { healthy: 0, at_risk: 0, lapsed: 0, total: 0 };
  for (const i of items) {
    out[i.level]++;
    out.total++;
  }
  return out;
}

function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

import { AppError } from "../../lib/errors";
import { normalCdf, normalQuantile, zForConfidence } from "./normal";

export interface Interval {
  low: number;
  high: number;
}

export interface ProportionSample {
  /** successes (e.g. reactivated customers) */
  x: number;
  n: number;
}

export interface ProportionDiff {
  p1: number;
  p2: number;
  /** p1 - p2 */
  diff: number;
  /** Newcombe hybrid score interval for p1 - p2; null when either group is empty. */
  ci: Interval | null;
  /** Two-sided p-value of the pooled two-proportion z-test; null when it is undefined. */
  pValue: number | null;
  confidence: number;
}

function checkSample(s: ProportionSample, what: string): void {
  if (!Number.isInteger(s.n) || s.n < 0 || !Number.isInteger(s.x) || s.x < 0 || s.x > s.n) {
    throw new AppError("INVALID_INPUT", `${what}: need integers 0 <= x <= n, got x=${s.x}, n=${s.n}`);
  }
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new AppError("INVALID_INPUT", `confidence must be in (0,1), got ${confidence}`);
}

/** Wilson score interval for one proportion; null when n = 0. */
export function wilsonInterval(s: ProportionSample, confidence = 0.95): Interval | null {
  checkSample(s, "wilsonInterval");
  checkConfidence(confidence);
  if (s.n === 0) return null;
  const z = zForConfidence(confidence);
  const p = s.x / s.n;
  const z2n = (z * z) / s.n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / s.n + (z * z) / (4 * s.n * s.n))) / (1 + z2n);
  // Clamp away floating error so that x = 0 gives exactly 0 and x = n exactly 1.
  return { low: s.x === 0 ? 0 : Math.max(0, centre - half), high: s.x === s.n ? 1 : Math.min(1, centre + half) };
}

/**
 * Difference of two proportions with Newcombe's hybrid score interval (method 10 of Newcombe 1998).
 * Chosen over Wald because reactivation rates are small (often 1–5%) and holdouts are small, which
 * is exactly where Wald undercovers and can even leave [-1, 1].
 */
export function diffOfProportions(a: ProportionSample, b: ProportionSample, confidence = 0.95): ProportionDiff {
  checkSample(a, "diffOfProportions(a)");
  checkSample(b, "diffOfProportions(b)");
  checkConfidence(confidence);
  const p1 = a.n > 0 ? a.x / a.n : 0;
  const p2 = b.n > 0 ? b.x / b.n : 0;
  const diff = p1 - p2;
  const w1 = wilsonInterval(a, confidence);
  const w2 = wilsonInterval(b, confidence);
  let ci: Interval | null = null;
  if (w1 && w2) {
    const low = diff - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2);
    const high = diff + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2);
    ci = { low: Math.max(-1, low), high: Math.min(1, high) };
  }
  let pValue: number | null = null;
  if (a.n > 0 && b.n > 0) {
    const pooled = (a.x + b.x) / (a.n + b.n);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
    if (se > 0) pValue = 2 * (1 - normalCdf(Math.abs(diff) / se));
    else pValue = diff === 0 ? 1 : null;
  }
  return { p1, p2, diff, ci, pValue, confidence };
}

export interface MdeInput {
  treatedN: number;
  holdoutN: number;
  /** expected reactivation rate without the campaign, in [0, 1) */
  baselineRate: number;
  /** two-sided significance level, default 0.05 */
  alpha?: number;
  /** default 0.8 */
  power?: number;
}

/**
 * Smallest absolute lift d in reactivation rate (treated p0 + d vs holdout p0) that a two-sided
 * pooled z-test detects with the given power, normal approximation, unequal group sizes:
 *   d = z(1-α/2)·sqrt(p̄(1-p̄)(1/n1 + 1/n0)) + z(power)·sqrt((p0+d)(1-p0-d)/n1 + p0(1-p0)/n0)
 * solved for d by bisection (d appears on both sides). This is the same model as R's
 * power.prop.test generalised to n1 ≠ n0. Returns null when either group is empty or when no lift
 * up to 100% would be detectable.
 */
export function minimumDetectableLift(input: MdeInput): number | null {
  const { treatedN: n1, holdoutN: n0, baselineRate: p0 } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  if (!(p0 >= 0 && p0 < 1)) throw new AppError("INVALID_INPUT", `baselineRate must be in [0,1), got ${p0}`);
  if (!(alpha > 0 && alpha < 1) || !(power > 0 && power < 1)) throw new AppError("INVALID_INPUT", "alpha and power must be in (0,1)");
  if (!(n1 >= 0) || !(n0 >= 0)) throw new AppError("INVALID_INPUT", "group sizes must be >= 0");
  if (n1 < 1 || n0 < 1) return null;
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const excess = (d: number): number => {
    const p1 = p0 + d;
    const pbar = (n1 * p1 + n0 * p0) / (n1 + n0);
    const rhs = za * Math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n0)) + zb * Math.sqrt((p1 * (1 - p1)) / n1 + (p0 * (1 - p0)) / n0);
    return d - rhs;
  };
  let lo = 0;
  let hi = 1 - p0;
  if (excess(hi) < 0) return null;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (excess(mid) < 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

import { AppError } from "../../lib/errors";
import { studentTCdf, studentTQuantile } from "./student-t";
import type { Interval } from "./proportions";

/**
 * Sufficient statistics of a sample, so that SQL can aggregate `count(*), sum(x), sum(x*x)` per group
 * and the domain never needs the individual rows.
 */
export interface RunningSums {
  n: number;
  sum: number;
  sumSq: number;
}

export const emptySums = (): RunningSums => ({ n: 0, sum: 0, sumSq: 0 });

export function addObservation(s: RunningSums, x: number): RunningSums {
  return { n: s.n + 1, sum: s.sum + x, sumSq: s.sumSq + x * x };
}

export function mergeSums(a: RunningSums, b: RunningSums): RunningSums {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq };
}

export function sumsOf(xs: readonly number[]): RunningSums {
  return xs.reduce(addObservation, emptySums());
}

function checkSums(s: RunningSums, what: string): void {
  if (!Number.isInteger(s.n) || s.n < 0 || !Number.isFinite(s.sum) || !Number.isFinite(s.sumSq) || s.sumSq < 0) {
    throw new AppError("INVALID_INPUT", `${what}: invalid running sums ${JSON.stringify(s)}`);
  }
}

export function meanOf(s: RunningSums): number | null {
  return s.n > 0 ? s.sum / s.n : null;
}

/**
 * Unbiased sample variance. The textbook one-pass formula cancels catastrophically when the mean is
 * large relative to the spread; revenue per customer is mostly zeros plus a few orders, so the spread
 * dominates and the loss is negligible — but tiny negative results from rounding are clamped to 0.
 */
export function varianceOf(s: RunningSums): number | null {
  if (s.n < 2) return null;
  return Math.max(0, (s.sumSq - (s.sum * s.sum) / s.n) / (s.n - 1));
}

export interface MeanDiff {
  meanA: number | null;
  meanB: number | null;
  /** meanA - meanB; null when either group is empty */
  diff: number | null;
  se: number | null;
  /** Welch–Satterthwaite degrees of freedom */
  df: number | null;
  /** Welch t interval; null when either group has fewer than 2 observations */
  ci: Interval | null;
  pValue: number | null;
  confidence: number;
}

/** Welch's unequal-variance interval for meanA - meanB from running sums. */
export function diffOfMeans(a: RunningSums, b: RunningSums, confidence = 0.95): MeanDiff {
  checkSums(a, "diffOfMeans(a)");
  checkSums(b, "diffOfMeans(b)");
  if (!(confidence > 0 && confidence < 1)) throw new AppError("INVALID_INPUT", `confidence must be in (0,1), got ${confidence}`);
  const meanA = meanOf(a);
  const meanB = meanOf(b);
  const diff = meanA !== null && meanB !== null ? meanA - meanB : null;
  const va = varianceOf(a);
  const vb = varianceOf(b);
  const base = { meanA, meanB, diff, confidence };
  if (diff === null || va === null || vb === null) return { ...base, se: null, df: null, ci: null, pValue: null };
  const qa = va / a.n;
  const qb = vb / b.n;
  const se = Math.sqrt(qa + qb);
  if (se === 0) {
    // Both groups constant: the difference is known exactly.
    return { ...base, se: 0, df: null, ci: { low: diff, high: diff }, pValue: diff === 0 ? 1 : 0 };
  }
  const df = (qa + qb) ** 2 / ((qa * qa) / (a.n - 1) + (qb * qb) / (b.n - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  const pValue = 2 * (1 - studentTCdf(Math.abs(diff) / se, df));
  return { ...base, se, df, ci: { low: diff - t * se, high: diff + t * se }, pValue };
}

import { AppError } from "../../lib/errors";
import type { Interval, ProportionSample } from "./proportions";

/**
 * Always-valid confidence intervals (a confidence sequence) for a difference between two arms, so a
 * merchant may look at an experiment every day and stop whenever it looks decided without inflating
 * the error rate. A fixed-sample 95% interval checked daily for a month excludes zero in an A/A test
 * far more often than 5% of the time; this one does so at most α of the time over all looks.
 *
 * Method: the normal-mixture sequential probability ratio test (mSPRT) of Robbins (1970), as used for
 * A/B testing by Johari, Koomen, Pekelis & Walsh, "Always Valid Inference" (Operations Research,
 * 2022). With an estimate θ̂ of the difference whose variance is v, and a N(0, τ²) mixing prior on the
 * true difference, the mixture likelihood ratio is
 *     Λ = sqrt(v / (v + τ²)) · exp( θ̂² τ² / (2 v (v + τ²)) ),
 * and {θ : Λ(θ̂ − θ) < 1/α} is valid uniformly over time (Ville's inequality). Solved for θ:
 *     θ̂ ± sqrt( v (v + τ²) / τ² · ( ln((v + τ²) / v) + 2 ln(1/α) ) ).
 * τ² sets where the interval is tightest; the default matches the variance of the smallest effect a
 * win-back offer plausibly has (a few points of reactivation), so typical experiments pay little
 * width for the freedom to peek.
 */
export interface SequentialInterval extends Interval {
  estimate: number;
  /** the always-valid p-value against "no difference": min(1, 1/Λ) */
  pValue: number;
}

export function alwaysValidInterval(
  estimate: number,
  variance: number,
  opts: { alpha?: number; tau2?: number } = {},
): SequentialInterval | null {
  const alpha = opts.alpha ?? 0.05;
  const tau2 = opts.tau2 ?? 0.02 ** 2;
  if (!(alpha > 0 && alpha < 1)) throw new AppError("INVALID_INPUT", `alpha must be in (0,1), got ${alpha}`);
  if (!(tau2 > 0)) throw new AppError("INVALID_INPUT", `tau2 must be > 0, got ${tau2}`);
  if (!(variance > 0) || !Number.isFinite(estimate)) return null;
  const half = Math.sqrt(((variance * (variance + tau2)) / tau2) * (Math.log((variance + tau2) / variance) + 2 * Math.log(1 / alpha)));
  const logLambda = 0.5 * Math.log(variance / (variance + tau2)) + (estimate * estimate * tau2) / (2 * variance * (variance + tau2));
  return { estimate, low: estimate - half, high: estimate + half, pValue: Math.min(1, Math.exp(-logLambda)) };
}

/**
 * Treated minus holdout rate, always valid. The variance is the unpooled binomial one; a rate of 0
 * or 1 in an arm is shrunk by half an observation so that an early look with no responders yet does
 * not claim certainty (Agresti–Caffo style).
 */
export function sequentialDiffOfProportions(
  treated: ProportionSample,
  holdout: ProportionSample,
  opts: { alpha?: number; tau2?: number } = {},
): SequentialInterval | null {
  if (treated.n < 1 || holdout.n < 1) return null;
  const p1 = treated.x / treated.n;
  const p0 = holdout.x / holdout.n;
  const s1 = (treated.x + 0.5) / (treated.n + 1);
  const s0 = (holdout.x + 0.5) / (holdout.n + 1);
  const v = (s1 * (1 - s1)) / treated.n + (s0 * (1 - s0)) / holdout.n;
  return alwaysValidInterval(p1 - p0, v, opts);
}

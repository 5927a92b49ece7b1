import { z } from "zod";
import { AppError } from "../../lib/errors";
import { MAX_MONEY_AMOUNT } from "../limits";
import { alwaysValidInterval, normalQuantile, sequentialDiffOfProportions, type SequentialInterval } from "../stats";
import { defaultUnitHasher, type UnitHasher } from "./hash";
import { discountCodeFor } from "./holdout";
import type { ArmTotals } from "./measurement";

/*
 * Offer experiments (issue 15 item 4): the treated Standard members of one campaign are split into
 * 2–4 arms, each with its own offer and optionally its own subject line. Every arm is compared with
 * the campaign's one shared holdout and with every other arm, with always-valid intervals
 * (stats/sequential.ts), because merchants look at the page every day and would otherwise stop on
 * a fluke. VIPs are not in the experiment: they never get a discount (ADR 077).
 */

export const ARM_KEYS = ["A", "B", "C", "D"] as const;
export type ArmKey = (typeof ARM_KEYS)[number];

export const OFFER_KINDS = ["percentage", "fixed_amount", "free_shipping", "perk"] as const;
export type OfferKind = (typeof OFFER_KINDS)[number];

export const offerSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("percentage"), value: z.number().positive().max(100) }),
  z.object({ kind: z.literal("fixed_amount"), value: z.number().positive().max(MAX_MONEY_AMOUNT) }),
  z.object({ kind: z.literal("free_shipping") }),
  /** no code at all: the email offers something that is not a price cut (perks.ts' vocabulary) */
  z.object({ kind: z.literal("perk"), text: z.string().trim().min(1).max(200) }),
]);
export type Offer = z.output<typeof offerSchema>;

const armSchema = z.object({
  offer: offerSchema,
  /** replaces the template's subject for this arm's emails; {first_name}, {offer}, {shop} work */
  subject: z.string().trim().max(150).nullable().default(null),
});

export const experimentSchema = z
  .object({
    arms: z.array(armSchema).min(2, "an experiment needs at least two arms").max(4, "at most four arms"),
    /** what "best" means; reactivation is the campaign's own outcome, revenue also weighs basket size */
    metric: z.enum(["reactivation", "revenue"]).default("reactivation"),
    /**
     * Scale of the plausible revenue-per-member difference, fixed when the experiment is defined
     * (the mixture prior of the always-valid interval must not be chosen from the data it judges).
     */
    revenueScale: z.number().positive().max(MAX_MONEY_AMOUNT).default(2),
    /**
     * The same for the reactivation rate: the difference between offers the merchant cares about
     * (default 5 points). The interval is tightest around it; stats/sequential.ts' campaign default
     * of 2 points suits a whole campaign against its holdout, offers differ by more.
     */
    rateScale: z.number().min(0.005).max(0.5).default(0.05),
  })
  .superRefine((e, ctx) => {
    const seen = new Set<string>();
    e.arms.forEach((a, i) => {
      const k = JSON.stringify([a.offer, a.subject ?? ""]);
      if (seen.has(k)) ctx.addIssue({ code: "custom", path: ["arms", i], message: "two arms with the same offer and subject" });
      seen.add(k);
    });
  });
export type ExperimentInput = z.input<typeof experimentSchema>;

export interface ExperimentArm {
  key: ArmKey;
  offer: Offer;
  subject: string | null;
}
export interface Experiment {
  arms: ExperimentArm[];
  metric: "reactivation" | "revenue";
  revenueScale: number;
  rateScale: number;
}

/** Parses merchant input or stored JSON; INVALID_INPUT names every problem. Arms are keyed A, B, C, D in order. */
export function parseExperiment(input: unknown): Experiment {
  const r = experimentSchema.safeParse(input);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("INVALID_INPUT", `experiment: ${detail}`, { details: r.error.issues });
  }
  return {
    arms: r.data.arms.map((a, i) => ({ key: ARM_KEYS[i]!, offer: a.offer, subject: a.subject })),
    metric: r.data.metric,
    revenueScale: r.data.revenueScale,
    rateScale: r.data.rateScale,
  };
}

/** "15% off", "10.00 EUR off", "Free shipping", the perk's own words. */
export function describeOffer(o: Offer, currencyCode?: string): string {
  switch (o.kind) {
    case "percentage":
      return `${Number(o.value.toFixed(2))}% off`;
    case "fixed_amount":
      return `${o.value.toFixed(2)}${currencyCode ? ` ${currencyCode}` : ""} off`;
    case "free_shipping":
      return "Free shipping";
    case "perk":
      return o.text;
  }
}

export function offerHasCode(o: Offer): boolean {
  return o.kind !== "perk";
}

// NUL cannot occur in ids (see holdout.ts).
const SEP = "\u0000";

/**
 * The member's arm: a per-customer hash like the holdout's, keyed differently so that the arm does
 * not depend on the holdout draw (the arms are equal shares of the treated group, in expectation and
 * independently of who else is in the campaign). Deterministic: a retried launch assigns the same arm.
 */
export function armFor(campaignId: string, customerId: string, armCount: number, hasher: UnitHasher = defaultUnitHasher): ArmKey {
  if (!Number.isInteger(armCount) || armCount < 2 || armCount > ARM_KEYS.length) {
    throw new AppError("INVALID_INPUT", `armCount must be an integer in [2, ${ARM_KEYS.length}], got ${armCount}`);
  }
  return ARM_KEYS[Math.min(armCount - 1, Math.floor(hasher(`arm${SEP}${campaignId}${SEP}${customerId}`) * armCount))]!;
}

/** The arm's own code, derived from the campaign id like the campaign's: a retry asks Shopify for the same code. */
export function armDiscountCode(campaignId: string, arm: ArmKey): string {
  return `${discountCodeFor(campaignId)}-${arm}`;
}

/** The tag a treated Standard member of the arm carries; the arm code's segment selects it. */
export function armTagFor(campaignTag: string, arm: ArmKey): string {
  return `${campaignTag}-${arm.toLowerCase()}`;
}

/* ---- Planning: sample size and minimum detectable effect before launch ---- */

export interface PlanInput {
  /** treated Standard members expected (split over the arms) */
  treated: number;
  /** holdout Standard members expected */
  holdout: number;
  arms: number;
  /** reactivation rate without an offer: the shop's history, or the holdout default */
  baselineRate: number;
  alpha?: number;
  power?: number;
  /** the lift the merchant hopes to detect (absolute, e.g. 0.02 = 2 points); sample size is for it */
  targetLift?: number;
}

export interface ExperimentPlan {
  perArm: number;
  holdout: number;
  /** smallest arm − holdout lift the final always-valid interval excludes 0 for, with the given power */
  mdeVsHoldout: number | null;
  /** same between two arms */
  mdeBetweenArms: number | null;
  targetLift: number;
  /** members per arm for the target lift between two arms (the harder comparison); null if unreachable below 10M */
  perArmNeeded: number | null;
  alphaPerComparison: number;
}

/** Bonferroni over the comparisons the page makes: each arm vs holdout, and every pair of arms. */
export function comparisonsOf(arms: number): { vsHoldout: number; pairs: number } {
  return { vsHoldout: arms, pairs: (arms * (arms - 1)) / 2 };
}

/**
 * Half width of the always-valid interval (sequential.ts) for a variance v, and the effect the final
 * look detects with the given power: the estimate must clear the half width, θ − z_power·√v ≥ h.
 */
function sequentialMde(variance: number, alpha: number, power: number, tau2: number): number {
  const h = Math.sqrt(((variance * (variance + tau2)) / tau2) * (Math.log((variance + tau2) / variance) + 2 * Math.log(1 / alpha)));
  return h + normalQuantile(power) * Math.sqrt(variance);
}

export function planExperiment(input: PlanInput, rateScale = 0.05): ExperimentPlan {
  const tau2 = rateScale * rateScale;
  const { treated, holdout, arms, baselineRate: p } = input;
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const target = input.targetLift ?? 0.03;
  if (!Number.isInteger(arms) || arms < 2 || arms > ARM_KEYS.length) throw new AppError("INVALID_INPUT", "arms must be 2 to 4");
  if (!(treated >= 0) || !(holdout >= 0)) throw new AppError("INVALID_INPUT", "group sizes must be >= 0");
  if (!(p > 0 && p < 1)) throw new AppError("INVALID_INPUT", `baselineRate must be in (0,1), got ${p}`);
  if (!(target > 0 && target < 1 - p)) throw new AppError("INVALID_INPUT", `targetLift must be in (0, ${1 - p})`);
  const c = comparisonsOf(arms);
  const alphaPer = alpha / (c.vsHoldout + c.pairs);
  const perArm = Math.floor(treated / arms);
  const pv = p * (1 - p);
  const mdeVsHoldout = perArm >= 1 && holdout >= 1 ? sequentialMde(pv / perArm + pv / holdout, alphaPer, power, tau2) : null;
  const between = (n: number) => sequentialMde((2 * pv) / n, alphaPer, power, tau2);
  const mdeBetweenArms = perArm >= 1 ? between(perArm) : null;
  // The MDE falls with n; bisection on n for the target.
  let perArmNeeded: number | null = null;
  if (between(10_000_000) <= target) {
    let lo = 1;
    let hi = 10_000_000;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (between(mid) <= target) hi = mid;
      else lo = mid + 1;
    }
    perArmNeeded = lo;
  }
  return {
    perArm,
    holdout,
    mdeVsHoldout,
    mdeBetweenArms,
    targetLift: target,
    perArmNeeded,
    alphaPerComparison: alphaPer,
  };
}

/* ---- Results ---- */

export interface ArmOutcome extends ArmTotals {
  key: ArmKey;
  redemptions: number;
}

export interface ArmResult {
  key: ArmKey;
  n: number;
  reactivated: number;
  rate: number | null;
  revenuePerMember: number | null;
  redemptions: number;
  /** arm − holdout, always valid at the Bonferroni-split level */
  liftVsHoldout: SequentialInterval | null;
  revenueVsHoldout: SequentialInterval | null;
}

export interface PairResult {
  a: ArmKey;
  b: ArmKey;
  /** a − b */
  rate: SequentialInterval | null;
  revenue: SequentialInterval | null;
}

export interface ExperimentResult {
  arms: ArmResult[];
  holdout: { n: number; reactivated: number; rate: number | null; revenuePerMember: number | null };
  pairs: PairResult[];
  metric: "reactivation" | "revenue";
  /** the arm whose interval against every other arm lies above 0; null: no winner yet */
  best: ArmKey | null;
  /** the arm ahead on the metric so far, winner or not (the page says "leading") */
  leader: ArmKey | null;
  alphaPerComparison: number;
}

function checkTotals(a: ArmTotals, what: string): void {
  if (!Number.isInteger(a.n) || a.n < 0 || !Number.isInteger(a.reactivated) || a.reactivated < 0 || a.reactivated > a.n) {
    throw new AppError("INVALID_INPUT", `${what}: need integers 0 <= reactivated <= n`);
  }
  if (!Number.isFinite(a.revenueSum) || !(a.revenueSumSq >= 0)) throw new AppError("INVALID_INPUT", `${what}: revenue sums must be finite`);
}

/** Sample variance of the mean from the sums, shrunk like the rate's so an arm with no revenue yet is not "certain". */
function meanAndVariance(a: ArmTotals, scale: number): { mean: number; varOfMean: number } | null {
  if (a.n < 2) return null;
  const mean = a.revenueSum / a.n;
  const s2 = Math.max(0, (a.revenueSumSq - a.n * mean * mean) / (a.n - 1));
  // One pseudo-observation at the prior's scale: an early look where nobody bought has variance > 0.
  const shrunk = (s2 * (a.n - 1) + scale * scale) / a.n;
  return { mean, varOfMean: shrunk / a.n };
}

function revenueDiff(a: ArmTotals, b: ArmTotals, alpha: number, scale: number): SequentialInterval | null {
  const x = meanAndVariance(a, scale);
  const y = meanAndVariance(b, scale);
  if (!x || !y) return null;
  return alwaysValidInterval(x.mean - y.mean, x.varOfMean + y.varOfMean, { alpha, tau2: scale * scale });
}

/**
 * Every arm against the shared holdout and against every other arm. The level is split over all
 * those comparisons (Bonferroni), so "best arm" keeps a 5% family-wise error however often the page
 * is looked at. The best arm is named only when its always-valid interval against each other arm
 * excludes 0 in its favour; otherwise there is no winner yet and the leader is shown as such.
 */
export function measureExperiment(
  experiment: Pick<Experiment, "metric" | "revenueScale" | "rateScale">,
  arms: readonly ArmOutcome[],
  holdout: ArmTotals,
  opts: { alpha?: number } = {},
): ExperimentResult {
  const alpha = opts.alpha ?? 0.05;
  const tau2 = experiment.rateScale * experiment.rateScale;
  if (arms.length < 2 || arms.length > ARM_KEYS.length) throw new AppError("INVALID_INPUT", "measureExperiment: 2 to 4 arms");
  arms.forEach((a) => checkTotals(a, `arm ${a.key}`));
  checkTotals(holdout, "holdout");
  const c = comparisonsOf(arms.length);
  const alphaPer = alpha / (c.vsHoldout + c.pairs);
  const scale = experiment.revenueScale;
  const rate = (a: ArmTotals) => (a.n > 0 ? a.reactivated / a.n : null);
  const rpm = (a: ArmTotals) => (a.n > 0 ? a.revenueSum / a.n : null);
  const seq = (a: ArmTotals, b: ArmTotals) =>
    a.n > 0 && b.n > 0
      ? sequentialDiffOfProportions({ x: a.reactivated, n: a.n }, { x: b.reactivated, n: b.n }, { alpha: alphaPer, tau2 })
      : null;
  const results: ArmResult[] = arms.map((a) => ({
    key: a.key,
    n: a.n,
    reactivated: a.reactivated,
    rate: rate(a),
    revenuePerMember: rpm(a),
    redemptions: a.redemptions,
    liftVsHoldout: seq(a, holdout),
    revenueVsHoldout: revenueDiff(a, holdout, alphaPer, scale),
  }));
  const pairs: PairResult[] = [];
  for (let i = 0; i < arms.length; i++) {
    for (let j = i + 1; j < arms.length; j++) {
      pairs.push({
        a: arms[i]!.key,
        b: arms[j]!.key,
        rate: seq(arms[i]!, arms[j]!),
        revenue: revenueDiff(arms[i]!, arms[j]!, alphaPer, scale),
      });
    }
  }
  const metricOf = (r: ArmResult) => (experiment.metric === "revenue" ? r.revenuePerMember : r.rate);
  const ranked = results.filter((r) => metricOf(r) !== null).sort((x, y) => metricOf(y)! - metricOf(x)! || x.key.localeCompare(y.key));
  const leader = ranked[0]?.key ?? null;
  // The winner must beat every other arm: each pair's interval, oriented leader − other, lies above 0.
  const beatsAll =
    leader !== null &&
    pairs
      .filter((p) => p.a === leader || p.b === leader)
      .every((p) => {
        const iv = experiment.metric === "revenue" ? p.revenue : p.rate;
        if (!iv) return false;
        return p.a === leader ? iv.low > 0 : iv.high < 0;
      });
  return {
    arms: results,
    holdout: { n: holdout.n, reactivated: holdout.reactivated, rate: rate(holdout), revenuePerMember: rpm(holdout) },
    pairs,
    metric: experiment.metric,
    best: beatsAll ? leader : null,
    leader,
    alphaPerComparison: alphaPer,
  };
}

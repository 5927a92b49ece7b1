import { AppError } from "../../lib/errors";
import { diffOfMeans, diffOfProportions, type Interval } from "../stats";
import { evaluateGuardrails, type GuardrailResult } from "./guardrails";
import { defaultCampaignSettings, type CampaignSettings } from "./settings";

export interface ArmTotals {
  n: number;
  /** customers with a first order inside the reactivation window */
  reactivated: number;
  /** Σ revenue per customer (0 for customers without an order), and Σ revenue² — from SQL */
  revenueSum: number;
  revenueSumSq: number;
}

export interface MeasureInput {
  treated: ArmTotals;
  holdout: ArmTotals;
  discountRedemptions: number;
  /** total discount amount granted through the campaign code */
  discountCost: number;
  /** revenue from VIP tasks marked won back — attributed by the CS team, not causal */
  vipWonBackRevenue: number;
  deliveries: number;
  unsubscribes: number;
  complaints: number;
}

export interface CampaignMeasurement {
  treated: { n: number; reactivated: number; rate: number | null; revenuePerCustomer: number | null };
  holdout: { n: number; reactivated: number; rate: number | null; revenuePerCustomer: number | null };
  /** treated rate − holdout rate, Newcombe 95% CI */
  lift: { absolute: number | null; ci: Interval | null; relative: number | null; pValue: number | null };
  /** (revenue/treated − revenue/holdout) × treated n, Welch 95% CI scaled the same way */
  incrementalRevenue: { estimate: number | null; ci: Interval | null };
  incrementalReactivations: number | null;
  discount: { redemptions: number; cost: number; costPerIncrementalReactivation: number | null };
  vipWonBackRevenue: number;
  guardrails: GuardrailResult;
}

function checkArm(a: ArmTotals, what: string): void {
  if (!Number.isInteger(a.n) || a.n < 0 || !Number.isInteger(a.reactivated) || a.reactivated < 0 || a.reactivated > a.n) {
    throw new AppError("INVALID_INPUT", `${what}: need integers 0 <= reactivated <= n`);
  }
}

/**
 * Campaign results against the holdout. Revenue is what customers paid, already net of the
 * campaign discount, so the discount cost is reported beside the incremental revenue rather than
 * subtracted from it a second time.
 */
export function measureCampaign(
  input: MeasureInput,
  settings: Pick<CampaignSettings, "guardrails"> = defaultCampaignSettings(),
): CampaignMeasurement {
  checkArm(input.treated, "treated");
  checkArm(input.holdout, "holdout");
  const { treated: t, holdout: h } = input;
  const rate = (a: ArmTotals) => (a.n > 0 ? a.reactivated / a.n : null);
  const rpc = (a: ArmTotals) => (a.n > 0 ? a.revenueSum / a.n : null);
  const measurable = t.n > 0 && h.n > 0;
  const prop = measurable ? diffOfProportions({ x: t.reactivated, n: t.n }, { x: h.reactivated, n: h.n }) : null;
  const means = measurable
    ? diffOfMeans({ n: t.n, sum: t.revenueSum, sumSq: t.revenueSumSq }, { n: h.n, sum: h.revenueSum, sumSq: h.revenueSumSq })
    : null;
  const absolute = prop ? prop.diff : null;
  const incrementalReactivations = absolute !== null ? absolute * t.n : null;
  return {
    treated: { n: t.n, reactivated: t.reactivated, rate: rate(t), revenuePerCustomer: rpc(t) },
    holdout: { n: h.n, reactivated: h.reactivated, rate: rate(h), revenuePerCustomer: rpc(h) },
    lift: {
      absolute,
      ci: prop?.ci ?? null,
      relative: prop && prop.p2 > 0 ? prop.diff / prop.p2 : null,
      pValue: prop?.pValue ?? null,
    },
    incrementalRevenue: {
      estimate: means?.diff != null ? means.diff * t.n : null,
      ci: means?.ci ? { low: means.ci.low * t.n, high: means.ci.high * t.n } : null,
    },
    incrementalReactivations,
    discount: {
      redemptions: input.discountRedemptions,
      cost: input.discountCost,
      costPerIncrementalReactivation:
        incrementalReactivations !== null && incrementalReactivations > 0 ? input.discountCost / incrementalReactivations : null,
    },
    vipWonBackRevenue: input.vipWonBackRevenue,
    guardrails: evaluateGuardrails(
      { deliveries: input.deliveries, unsubscribes: input.unsubscribes, complaints: input.complaints },
      settings,
    ),
  };
}

export interface ReactivationSeries {
  n: number;
  /** days from launch to first order, one entry per reactivated customer (fractions allowed) */
  daysToFirstOrder: readonly number[];
}

export interface CumulativePoint {
  day: number;
  treated: number | null;
  holdout: number | null;
  lift: number | null;
}

/**
 * Share of each arm reactivated by the end of day d (an order 0.5 days after launch counts for day 0),
 * for d = 0..days. Computed by counting sort so a 100k-customer campaign stays linear.
 */
export function cumulativeReactivation(treated: ReactivationSeries, holdout: ReactivationSeries, days: number): CumulativePoint[] {
  if (!Number.isInteger(days) || days < 0 || days > 3650) throw new AppError("INVALID_INPUT", "days must be an integer in [0, 3650]");
  const curve = (s: ReactivationSeries, what: string): (number | null)[] => {
    if (s.daysToFirstOrder.length > s.n) throw new AppError("INVALID_INPUT", `${what}: more first orders than customers`);
    const perDay = new Array<number>(days + 1).fill(0);
    for (const d of s.daysToFirstOrder) {
      if (!(d >= 0)) throw new AppError("INVALID_INPUT", `${what}: days to first order must be >= 0`);
      const day = Math.floor(d);
      if (day <= days) perDay[day]++;
    }
    let acc = 0;
    return perDay.map((c) => {
      acc += c;
      return s.n > 0 ? acc / s.n : null;
    });
  };
  const t = curve(treated, "treated");
  const h = curve(holdout, "holdout");
  return t.map((tv, day) => ({ day, treated: tv, holdout: h[day], lift: tv !== null && h[day] !== null ? tv - h[day]! : null }));
}

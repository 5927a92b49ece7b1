import { AppError } from "../../lib/errors";
import { isoFromDay, localDay } from "../analytics/dates";
import { minimumDetectableLift } from "../stats";
import { describeDiscount, discountEndsAt, type CampaignSettings } from "./settings";

export type Segment = "VIP" | "Standard";
export const SEGMENTS: readonly Segment[] = ["VIP", "Standard"];

export interface SegmentCounts {
  /** eligible customers in the segment */
  customers: number;
  /** actual holdout size once assignment ran; otherwise the expected size from the share is shown */
  holdout?: number;
  /** reactivation rate expected without the campaign, from the shop's history, for the MDE */
  baselineRate: number;
}

export type PlanCounts = Record<Segment, SegmentCounts>;

export interface PlanRow {
  segment: Segment;
  silenceSignal: string;
  action: string;
  channel: string;
  timing: string;
  customers: number;
  treated: number;
  holdout: number;
  /** smallest absolute lift in reactivation rate this split detects (α 0.05 two-sided, power 0.8); null if none */
  mdeLift: number | null;
}

export interface PlanOptions {
  /** enables the concrete end date in the Standard offer */
  launchAt?: Date;
  currencyCode?: string;
  /** IANA zone the end date is shown in (the shop's); UTC when absent */
  timeZone?: string;
  /** how long a customer must have been silent, from the segmentation rules */
  silentDays?: number;
  /** the silence signal in words, from the shop's analysis settings (silenceSignalOf); wins over silentDays */
  silenceSignal?: { standard: string; vip: string };
}

/** What the analysis settings make a target, in the plan table's words. */
export function silenceSignalOf(
  a: {
    lapse: { atRiskDays: number; lostDays: number };
    overdue: { gapMultiplier: number };
    vip: { percentile: number; fixedThreshold: number | null };
    targets: { includeLost: boolean };
  },
  money: (x: number) => string = (x) => x.toFixed(2),
): { standard: string; vip: string } {
  const silent = a.targets.includeLost ? `${a.lapse.atRiskDays}d+ silent` : `${a.lapse.atRiskDays}–${a.lapse.lostDays}d silent`;
  const standard = `${silent}, or overdue (${Number(a.overdue.gapMultiplier.toFixed(2))}× their usual gap)`;
  const top = Math.round((1 - a.vip.percentile) * 1000) / 10;
  const vip =
    a.vip.fixedThreshold != null ? `${standard} + spent ${money(a.vip.fixedThreshold)} or more` : `${standard} + top ${top}% by spend`;
  return { standard, vip };
}

// The merchant reads dates in the shop's zone: an offer ending at 21:00 in New York ends "on the 6th", not the 7th.
const isoDate = (d: Date, timeZone = "UTC") => isoFromDay(localDay(d, timeZone));
const timing = (days: readonly number[]) => days.map((d) => `Day ${d}`).join(" / ");

function split(c: SegmentCounts, share: number, segment: Segment): { treated: number; holdout: number } {
  if (!Number.isInteger(c.customers) || c.customers < 0)
    throw new AppError("INVALID_INPUT", `${segment}: customers must be a non-negative integer`);
  const holdout = c.holdout ?? Math.round(c.customers * share);
  if (!Number.isInteger(holdout) || holdout < 0 || holdout > c.customers) {
    throw new AppError("INVALID_INPUT", `${segment}: holdout must be an integer between 0 and customers`);
  }
  return { treated: c.customers - holdout, holdout };
}

/** The table the merchant approves before launch: who gets what, when, and what the test can detect. */
export function buildPlan(counts: PlanCounts, settings: CampaignSettings, opts: PlanOptions = {}): PlanRow[] {
  const silent = opts.silenceSignal?.standard ?? `${opts.silentDays ?? 90}d silent`;
  const vipSignal = opts.silenceSignal?.vip ?? `${silent} + top-decile LTV`;
  const ends = opts.launchAt
    ? isoDate(discountEndsAt(opts.launchAt, settings), opts.timeZone)
    : `launch + ${settings.discount.validityDays}d`;
  const perk = settings.vip.perkOverride ? `perk: ${settings.vip.perkOverride}` : "perk";
  const rows: Omit<PlanRow, "customers" | "treated" | "holdout" | "mdeLift">[] = [
    {
      segment: "VIP",
      silenceSignal: vipSignal,
      action: `Dedicated CS check-in + ${perk}`,
      channel: "Email + optional call",
      timing: timing(settings.vip.touchDays),
    },
    {
      segment: "Standard",
      silenceSignal: silent,
      action: `Limited-time offer (${describeDiscount(settings.discount, opts.currencyCode)}, ends ${ends})`,
      channel: "Email (SMS via Flow)",
      timing: timing(settings.standard.touchDays),
    },
  ];
  return rows.map((r) => {
    const c = counts[r.segment];
    const { treated, holdout } = split(c, settings.holdoutShare, r.segment);
    const mdeLift = minimumDetectableLift({ treatedN: treated, holdoutN: holdout, baselineRate: c.baselineRate });
    return { ...r, customers: c.customers, treated, holdout, mdeLift };
  });
}

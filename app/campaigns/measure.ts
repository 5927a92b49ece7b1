import type { Sql } from "../db/sql";
import {
  cumulativeReactivation,
  measureCampaign,
  type ArmTotals,
  type CampaignMeasurement,
  type CumulativePoint,
} from "../domain/campaigns";
import type { CampaignMessageCounts } from "../messaging/types";
import type { CampaignDeps } from "./deps";
import { campaignMembers, exitCounts, getCampaign, touchStateCounts, type CampaignRow } from "./store";
import { purchaseTotalsInWindow } from "../sync/store/purchases";
import { DAY_MS } from "../domain/analytics/dates";

export interface BranchResult {
  branch: "VIP" | "Standard";
  treated: { n: number; reactivated: number };
  holdout: { n: number; reactivated: number };
}

export interface CampaignReport {
  measurement: CampaignMeasurement;
  branches: BranchResult[];
  series: CumulativePoint[];
  /** days since launch covered so far (the window caps it) */
  daysObserved: number;
  windowDays: number;
  discountCostMethod: string;
  deliveries: CampaignMessageCounts;
  /** held: fell due while the campaign was paused, sent on resume */
  touches: { scheduled: number; held: number; sent: number; skipped: number; canceled: number };
  exits: Array<{ reason: string; n: number }>;
}

interface MemberRow {
  holdout: boolean;
  branch: "VIP" | "Standard";
  revenue: string;
  firstAt: Date | null;
  redemptions: number;
  redeemedTotal: string;
}

/**
 * Treated and holdout are measured identically, from our copy of the orders (not from the webhook
 * marks), so a late webhook or a canceled order changes the result the way it changes reality.
 * Revenue is what the customer paid (`currentTotal`, after the discount and any refunds).
 */
export async function measure(
  deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">,
  shop: string,
  campaignId: string,
): Promise<CampaignReport> {
  const c = await getCampaign(deps.sql, shop, campaignId);
  return measureRow(deps, c);
}

export async function measureRow(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, c: CampaignRow): Promise<CampaignReport> {
  const launchAt = c.launchAt ?? c.createdAt;
  const windowDays = c.settings.reactivationWindowDays;
  const windowEnd = new Date(launchAt.getTime() + windowDays * DAY_MS);
  const rows = await memberRows(deps.sql, c, launchAt, windowEnd);
  const arms: Record<"treated" | "holdout", ArmTotals> = {
    treated: { n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 },
    holdout: { n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 },
  };
  const days: Record<"treated" | "holdout", number[]> = { treated: [], holdout: [] };
  const branches = new Map<string, BranchResult>();
  let redemptions = 0;
  let redeemedPaid = 0;
  let vipWonBackRevenue = 0;
  for (const r of rows) {
    const arm = r.holdout ? "holdout" : "treated";
    const rev = Number(r.revenue);
    const a = arms[arm];
    a.n++;
    a.revenueSum += rev;
    a.revenueSumSq += rev * rev;
    const b = branches.get(r.branch) ?? { branch: r.branch, treated: { n: 0, reactivated: 0 }, holdout: { n: 0, reactivated: 0 } };
    b[arm].n++;
    if (r.firstAt) {
      a.reactivated++;
      b[arm].reactivated++;
      days[arm].push((new Date(r.firstAt).getTime() - launchAt.getTime()) / DAY_MS);
      if (!r.holdout && r.branch === "VIP") vipWonBackRevenue += rev;
    }
    branches.set(r.branch, b);
    if (!r.holdout) {
      redemptions += r.redemptions;
      redeemedPaid += Number(r.redeemedTotal);
    }
  }
  const { cost, method } = discountCost(c, redemptions, redeemedPaid);
  const deliveries = await deps.messageCounts(deps.sql, c.id);
  const measurement = measureCampaign(
    {
      treated: arms.treated,
      holdout: arms.holdout,
      discountRedemptions: redemptions,
      discountCost: cost,
      vipWonBackRevenue: round2(vipWonBackRevenue),
      deliveries: deliveries.delivered,
      unsubscribes: deliveries.unsubscribed,
      complaints: deliveries.complaints,
    },
    c.settings,
  );
  // Elapsed days, or further when orders are already dated later (the demo's simulated weeks, clock skew).
  const lastOrderDay = Math.max(0, ...days.treated, ...days.holdout);
  const daysObserved = Math.max(
    0,
    Math.min(windowDays, Math.max(Math.floor((deps.now().getTime() - launchAt.getTime()) / DAY_MS), Math.floor(lastOrderDay))),
  );
  const series = cumulativeReactivation(
    { n: arms.treated.n, daysToFirstOrder: days.treated },
    { n: arms.holdout.n, daysToFirstOrder: days.holdout },
    daysObserved,
  );
  const touchRows = await touchStateCounts(deps.sql, c.id);
  const touches = { scheduled: 0, held: 0, sent: 0, skipped: 0, canceled: 0 };
  for (const t of touchRows) if (t.state in touches) touches[t.state as keyof typeof touches] = t.n;
  const exits = await exitCounts(deps.sql, c.id);
  return {
    measurement,
    branches: [...branches.values()].sort((a, b) => a.branch.localeCompare(b.branch)),
    series,
    daysObserved,
    windowDays,
    discountCostMethod: method,
    deliveries,
    touches,
    exits,
  };
}

async function memberRows(sql: Sql, c: CampaignRow, from: Date, to: Date): Promise<MemberRow[]> {
  // Members who left because tagging failed never got the offer and are not a fair treated unit,
  // but dropping them would bias the arm; they stay (intention to treat).
  const members = await campaignMembers(sql, c.id);
  const totals = await purchaseTotalsInWindow(
    sql,
    c.shop,
    members.map((m) => m.customerId),
    { from, to, discountCode: c.discountCode },
  );
  return members.map((m) => {
    const t = totals.get(m.customerId);
    return {
      holdout: m.holdout,
      branch: m.branch,
      revenue: t?.revenue ?? "0",
      firstAt: t?.firstAt ?? null,
      redemptions: t?.redemptions ?? 0,
      redeemedTotal: t?.redeemedTotal ?? "0",
    };
  });
}

/**
 * Our order copy has the codes an order used but not the discount amount, so the cost is derived
 * from the code's own terms: a fixed amount is that amount per redemption; a percentage p on an
 * order that paid P cost P × p / (1 − p) (the discount came off the pre-discount total). Shipping
 * and tax inside P make this a slight overestimate for percentage codes; the page says so.
 */
export function discountCost(
  c: Pick<CampaignRow, "settings">,
  redemptions: number,
  redeemedPaid: number,
): { cost: number; method: string } {
  const d = c.settings.discount;
  if (d.kind === "fixed_amount") {
    return { cost: round2(redemptions * d.value), method: `${redemptions} redemptions × the code's fixed ${d.value.toFixed(2)}` };
  }
  const p = Math.min(d.value, 99.99) / 100;
  return {
    cost: round2((redeemedPaid * p) / (1 - p)),
    method: `estimated from the code's ${d.value}%: paid total × ${d.value}% ÷ (100% − ${d.value}%), shipping and tax included (slight overestimate)`,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

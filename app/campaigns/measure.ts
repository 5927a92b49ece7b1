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
import { campaignOfferRedemptions, type OfferRedemptionRow } from "./offer-redemptions";
import { exitCounts, getCampaign, memberGroupCounts, memberGroupsRelation, type CampaignRow } from "./store";
import { campaignTotals, reconcileCampaignTotals, touchStateTotals } from "./store/totals";
import { purchaseTotalsByGroup } from "../sync/store/purchases";
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
  /** per code of an experiment's arms or a program's offers (ADR 104); null: the campaign's one code */
  discountByOffer: OfferRedemptionRow[] | null;
  deliveries: CampaignMessageCounts;
  /** held: fell due while the campaign was paused, sent on resume */
  touches: { scheduled: number; held: number; sent: number; skipped: number; canceled: number };
  exits: Array<{ reason: string; n: number }>;
}

type Arm = "treated" | "holdout";

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
  const { arms, days, lastOrderDay, branches, redemptions, redeemedPaid, vipWonBackRevenue } = await armTotalsFromTotals(
    deps.sql,
    c,
    deps.now(),
  );
  // An experiment or a program with promoted offers has a code per offer: each is counted over its own members and priced from its own offer (ADR 104).
  const offers = await campaignOfferRedemptions(deps.sql, c);
  const { cost, method } = offers ?? discountCost(c, redemptions, redeemedPaid);
  const deliveries = await deps.messageCounts(deps.sql, c.id);
  const measurement = measureCampaign(
    {
      treated: arms.treated,
      holdout: arms.holdout,
      discountRedemptions: offers?.redemptions ?? redemptions,
      discountCost: cost,
      vipWonBackRevenue: round2(vipWonBackRevenue),
      deliveries: deliveries.delivered,
      unsubscribes: deliveries.unsubscribed,
      complaints: deliveries.complaints,
    },
    c.settings,
  );
  // Elapsed days, or further when orders are already dated later (the demo's simulated weeks, clock skew).
  const daysObserved = Math.max(
    0,
    Math.min(windowDays, Math.max(Math.floor((deps.now().getTime() - launchAt.getTime()) / DAY_MS), Math.floor(lastOrderDay))),
  );
  const series = cumulativeReactivation(
    { n: arms.treated.n, daysToFirstOrder: days.treated },
    { n: arms.holdout.n, daysToFirstOrder: days.holdout },
    daysObserved,
  );
  // Kept by a trigger on the touches (ADR 105), not counted over the campaign's million touches per view.
  const touchRows = await touchStateTotals(deps.sql, c.id);
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
    discountByOffer: offers?.rows ?? null,
    deliveries,
    touches,
    exits,
  };
}

/** One arm's and branch's members whose first window order fell on `day` (-1: none), summed. */
interface GroupDay {
  arm: Arm;
  branch: "VIP" | "Standard";
  day: number;
  customers: number;
  /** Decimal strings, exact. */
  revenue: string;
  revenueSq: string;
  redemptions: number;
  redeemedTotal: string;
}

/**
 * Both arms per branch from the campaign's maintained totals (ADR 105): a few dozen rows, whatever
 * the campaign's size, kept up to date in the transaction that stores each order. A campaign never
 * computed (launched before the totals existed) is computed from the orders first. Members who left
 * because tagging failed never got the offer and are not a fair treated unit, but dropping them
 * would bias the arm; they stay (intention to treat).
 */
export async function armTotalsFromTotals(sql: Sql, c: CampaignRow, now: Date) {
  if (!c.totalsCheckedAt) await reconcileCampaignTotals(sql, c.shop, c.id, now);
  const rows = (await campaignTotals(sql, c.id)).map((b): GroupDay => ({ ...b, arm: b.holdout ? "holdout" : "treated" }));
  return sumGroups(rows);
}

/**
 * The same figures the way the page computed them until ADR 105, from scratch: the members counted
 * by arm and branch, and the window's orders joined to the member table in SQL (ADR 094). The
 * reconciliation's reference, and the bench's baseline.
 */
export async function armTotalsFromOrders(sql: Sql, c: CampaignRow) {
  const from = c.launchAt ?? c.createdAt;
  const to = new Date(from.getTime() + c.settings.reactivationWindowDays * DAY_MS);
  const rows: GroupDay[] = [];
  const bought = new Map<string, number>();
  for (const r of await purchaseTotalsByGroup(sql, c.shop, memberGroupsRelation(c.id), { from, to, discountCode: c.discountCode })) {
    const [arm, branch] = r.group.split(":") as [Arm, "VIP" | "Standard"];
    rows.push({ ...r, arm, branch });
    bought.set(r.group, (bought.get(r.group) ?? 0) + r.customers);
  }
  for (const g of await memberGroupCounts(sql, c.id)) {
    const arm: Arm = g.holdout ? "holdout" : "treated";
    const customers = g.n - (bought.get(`${arm}:${g.branch}`) ?? 0);
    rows.push({ arm, branch: g.branch, day: -1, customers, revenue: "0", revenueSq: "0", redemptions: 0, redeemedTotal: "0" });
  }
  return sumGroups(rows);
}

export type ArmTotalsResult = ReturnType<typeof sumGroups>;

function sumGroups(rows: GroupDay[]) {
  const arms: Record<Arm, ArmTotals> = {
    treated: { n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 },
    holdout: { n: 0, reactivated: 0, revenueSum: 0, revenueSumSq: 0 },
  };
  /** whole days from launch to each reactivated member's first order, per arm (the series bins by whole day) */
  const days: Record<Arm, number[]> = { treated: [], holdout: [] };
  const branches = new Map<string, BranchResult>();
  const branchOf = (name: "VIP" | "Standard") => {
    let b = branches.get(name);
    if (!b) branches.set(name, (b = { branch: name, treated: { n: 0, reactivated: 0 }, holdout: { n: 0, reactivated: 0 } }));
    return b;
  };
  let redemptions = 0;
  let redeemedPaid = 0;
  let vipWonBackRevenue = 0;
  let lastOrderDay = 0;
  // Sorted as the join returned them (arm, branch, day), so float sums add in the same order.
  const sorted = [...rows].sort((a, b) => `${a.arm}:${a.branch}`.localeCompare(`${b.arm}:${b.branch}`) || a.day - b.day);
  for (const r of sorted) {
    const a = arms[r.arm];
    a.n += r.customers;
    branchOf(r.branch)[r.arm].n += r.customers;
    if (r.day < 0) continue;
    const revenue = Number(r.revenue);
    a.reactivated += r.customers;
    a.revenueSum += revenue;
    a.revenueSumSq += Number(r.revenueSq);
    branchOf(r.branch)[r.arm].reactivated += r.customers;
    for (let k = 0; k < r.customers; k++) days[r.arm].push(r.day);
    lastOrderDay = Math.max(lastOrderDay, r.day);
    if (r.arm === "treated") {
      redemptions += r.redemptions;
      redeemedPaid += Number(r.redeemedTotal);
      if (r.branch === "VIP") vipWonBackRevenue += revenue;
    }
  }
  return { arms, days, lastOrderDay, branches, redemptions, redeemedPaid, vipWonBackRevenue };
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

import type { Sql } from "../db/sql";
import { latestRuns } from "../analysis/store";
import { engagementBefore } from "../messaging/store";
import { purchaseHistoriesBefore, purchaseTotalsInWindows } from "../sync/store/purchases";
import type { CampaignSettings } from "../domain/campaigns";
import { defaultUnitHasher, type UnitHasher } from "../domain/campaigns/hash";
import {
  compareTargeting,
  discountPerOrder,
  expectedIncrementalProfit,
  fitUplift,
  MIN_UPLIFT_DATA,
  predictUplift,
  selectTargets,
  upliftFeatures,
  upliftFold,
  type DataNeeds,
  type HistoryAt,
  type TargetCandidate,
  type TargetingComparison,
  type UpliftExample,
  type UpliftModel,
} from "../domain/uplift";
import { finishedStandardMembers, type FinishedMember } from "./store";

/*
 * Uplift targeting, the feature side (issue 15 item 5, docs/decisions/100-uplift-targeting.md).
 * Every campaign and program keeps a random holdout, so its Standard members whose measurement
 * window has closed are a randomised experiment. Each becomes one training row: what was known of
 * them at assignment (order history before it, engagement before it, the churn risk the analysis
 * gave them then) and what they did in the window (ordered, and what they paid). Customers are split
 * by a hash of their id: the two-model learner is fitted on one part and the page's comparison with
 * churn-risk targeting is measured on the other, which the model never saw.
 */

export interface UpliftDeps {
  sql: Sql;
  now: () => Date;
}

/** Rows read and joined per round trip: memory holds one page of members plus compact feature rows. */
const PAGE = 2_000;
/** Share of past customers kept out of fitting for the comparison. */
export const EVALUATE_SHARE = 0.3;

export interface EvaluationRow {
  customerId: string;
  features: number[];
  treated: boolean;
  revenue: number;
  orderValue: number;
  churnRisk: number;
}

export interface TrainingData {
  fit: UpliftExample[];
  evaluate: EvaluationRow[];
  /** average order value over every row, for customers without one */
  meanOrderValue: number;
}

const orderValueOf = (h: { orders: number; spent: number }) => (h.orders > 0 ? h.spent / h.orders : 0);

/** Reads every finished Standard member page by page, with features at assignment and the window's outcome. */
export async function trainingData(
  sql: Sql,
  shop: string,
  now: Date,
  opts: { hasher?: UnitHasher; evaluateShare?: number } = {},
): Promise<TrainingData> {
  const hasher = opts.hasher ?? defaultUnitHasher;
  const out: TrainingData = { fit: [], evaluate: [], meanOrderValue: 0 };
  let valueSum = 0;
  let valueN = 0;
  let after: { campaignId: string; customerId: string } | null = null;
  for (;;) {
    const page: FinishedMember[] = await finishedStandardMembers(sql, shop, now, after, PAGE);
    if (!page.length) break;
    after = page[page.length - 1]!;
    const points = page.map((m) => ({ customerId: m.customerId, at: m.assignedAt }));
    const [histories, engagement] = await Promise.all([purchaseHistoriesBefore(sql, shop, points), engagementBefore(sql, shop, points)]);
    // Each campaign's own code is not needed here: revenue is every qualifying order in the window, as measured.
    const totals = await purchaseTotalsInWindows(
      sql,
      shop,
      page.map((m) => ({ customerId: m.customerId, from: m.assignedAt, to: m.windowEnd })),
    );
    page.forEach((m, i) => {
      const h = histories[i]!;
      const e = engagement[i]!;
      const at = m.assignedAt.getTime();
      const features = upliftFeatures(historyAt(h, e, m.churnRiskAtAssignment), at);
      const revenue = Number(totals[i]!.revenue);
      const treated = !m.holdout;
      const ov = orderValueOf(h);
      if (ov > 0) {
        valueSum += ov;
        valueN++;
      }
      // By customer, not by membership: a customer in two campaigns is never on both sides of the split.
      if (upliftFold(hasher(`uplift:${m.customerId}`), opts.evaluateShare ?? EVALUATE_SHARE) === "fit")
        out.fit.push({ features, treated, ordered: totals[i]!.firstAt != null, revenue });
      else
        out.evaluate.push({
          customerId: m.customerId,
          features,
          treated,
          revenue,
          orderValue: ov,
          churnRisk: m.churnRiskAtAssignment ?? 0.5,
        });
    });
    if (page.length < PAGE) break;
  }
  out.meanOrderValue = valueN ? valueSum / valueN : 0;
  return out;
}

function historyAt(
  h: { orders: number; firstAt: Date | null; lastAt: Date | null; spent: number },
  e: { clicks: number; opens: number },
  churnRisk: number | null,
): HistoryAt {
  return {
    orders: h.orders,
    firstAt: h.firstAt?.getTime() ?? null,
    lastAt: h.lastAt?.getTime() ?? null,
    spent: h.spent,
    clicks: e.clicks,
    opens: e.opens,
    churnRisk,
  };
}

export type UpliftState =
  | { ok: true; model: UpliftModel; data: TrainingData; have: Have }
  | { ok: false; reason: string; have: Have; needs: DataNeeds; missing: { treated: number; holdout: number } };

interface Have {
  treated: number;
  holdout: number;
  treatedResponders: number;
  holdoutResponders: number;
}

/**
 * Fitted models per shop, analysis run and day: the training rows only change when a window closes
 * (at most daily) or a new analysis runs. A few entries at most per shop; the oldest go first.
 */
const cache = new Map<string, UpliftState>();
const CACHE_ENTRIES = 64;

/** The shop's uplift model, or why there is none yet (and how many more outcomes it needs). */
export async function upliftState(deps: UpliftDeps, shop: string, opts: { needs?: DataNeeds; cache?: boolean } = {}): Promise<UpliftState> {
  const now = deps.now();
  const needs = opts.needs ?? MIN_UPLIFT_DATA;
  const run = (await latestRuns(deps.sql, shop)).completed?.id ?? "none";
  const key = `${shop}\u0000${run}\u0000${now.toISOString().slice(0, 10)}\u0000${needs.treated}/${needs.holdout}/${needs.respondersPerArm}`;
  const hit = opts.cache !== false ? cache.get(key) : undefined;
  if (hit) return hit;
  const data = await trainingData(deps.sql, shop, now);
  const fit = fitUplift(data.fit, needs);
  const have = fit.ok ? countHave(data.fit) : fit.have;
  const missing = { treated: Math.max(0, needs.treated - have.treated), holdout: Math.max(0, needs.holdout - have.holdout) };
  const state: UpliftState = fit.ok
    ? { ok: true, model: fit.model, data, have }
    : { ok: false, reason: `${fit.reason} ${stillNeeded(missing, have, needs)}`, have, needs, missing };
  if (opts.cache !== false) {
    cache.set(key, state);
    while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return state;
}

/**
 * What is still missing in past customers with a finished window: the counts above are of the part
 * the model learns from, so the shortfall is scaled up by the share kept out to check it.
 */
function stillNeeded(missing: { treated: number; holdout: number }, have: Have, needs: DataNeeds): string {
  const learnShare = 1 - EVALUATE_SHARE;
  const more = (n: number) => Math.ceil(n / learnShare);
  const parts: string[] = [];
  if (missing.treated) parts.push(`${more(missing.treated)} more treated`);
  if (missing.holdout) parts.push(`${more(missing.holdout)} more holdout`);
  const orders = Math.min(have.treatedResponders, have.holdoutResponders) < needs.respondersPerArm;
  const what = parts.length
    ? `About ${parts.join(" and ")} customers with a finished measurement window are needed`
    : orders
      ? `More orders among past treated and holdout customers are needed`
      : `More past customers are needed`;
  return `${what} (${Math.round(EVALUATE_SHARE * 100)}% of past customers are kept out of learning to check the model).`;
}

function countHave(rows: readonly UpliftExample[]): Have {
  const t = rows.filter((r) => r.treated);
  const c = rows.filter((r) => !r.treated);
  return {
    treated: t.length,
    holdout: c.length,
    treatedResponders: t.filter((r) => r.ordered).length,
    holdoutResponders: c.filter((r) => r.ordered).length,
  };
}

export interface Target {
  id: string;
  branch: "VIP" | "Standard";
  churnRisk: number;
}

export interface TargetingResult {
  /** how the Standard targets were actually ordered (profit falls back to risk without a model) */
  by: "risk" | "profit";
  requested: "risk" | "profit";
  /** why profit targeting fell back to risk (null when it did not) */
  fallbackReason: string | null;
  /** Standard targets chosen (VIPs are always kept) */
  chosen: Set<string>;
  candidates: number;
  expectedDiscountCost: number;
  /** on past members the model did not see, at the share of candidates this budget reaches (null without a model) */
  comparison: TargetingComparison | null;
}

/**
 * Whom the Standard offer goes to under the settings' targeting: ordered by churn risk or by
 * expected incremental profit (uplift × order value × margin − P(order | offer) × discount per
 * order), cut at the budget. The candidates' features are read now, the same way as the past
 * members' were at their assignment.
 */
export async function chooseTargets(
  deps: UpliftDeps,
  shop: string,
  targets: readonly Target[],
  settings: Pick<CampaignSettings, "targeting" | "discount">,
  opts: { needs?: DataNeeds } = {},
): Promise<TargetingResult> {
  const t = settings.targeting;
  const standard = targets.filter((x) => x.branch === "Standard");
  const noBudget = t.maxCustomers == null && t.maxDiscountCost == null;
  const everyone = (): TargetingResult => ({
    by: "risk",
    requested: t.by,
    fallbackReason: null,
    chosen: new Set(standard.map((x) => x.id)),
    candidates: standard.length,
    expectedDiscountCost: 0,
    comparison: null,
  });
  // Today's plan (risk, no budget) reads nothing more: every Standard target gets the offer.
  if (t.by === "risk" && noBudget) return everyone();
  const state = t.by === "profit" ? await upliftState(deps, shop, opts) : null;
  const now = deps.now();
  const hist = await readCandidates(deps.sql, shop, standard, now);
  const meanValue = state?.ok ? state.data.meanOrderValue : 0;
  const cands: TargetCandidate[] = standard.map((x, i) => {
    const h = hist[i]!;
    const orderValue = h.orderValue > 0 ? h.orderValue : meanValue;
    const perOrder = discountPerOrder(settings.discount, orderValue);
    if (state?.ok) {
      const p = predictUplift(state.model, h.features);
      return {
        id: x.id,
        churnRisk: x.churnRisk,
        profit: expectedIncrementalProfit(p, { orderValue, margin: t.margin, discountPerOrder: perOrder }),
        expectedCost: p.pTreated * perOrder,
      };
    }
    // Without a model the score's own chance of ordering (1 − risk) prices the budget.
    return { id: x.id, churnRisk: x.churnRisk, profit: null, expectedCost: (1 - x.churnRisk) * perOrder };
  });
  const by = state && !state.ok ? "risk" : t.by;
  const chosen = selectTargets(cands, by, { maxCustomers: t.maxCustomers, maxDiscountCost: t.maxDiscountCost });
  let comparison: TargetingComparison | null = null;
  if (state?.ok && state.data.evaluate.length && cands.length && chosen.length) {
    const share = Math.min(1, chosen.length / cands.length);
    comparison = compareTargeting(
      state.data.evaluate.map((r) => {
        const orderValue = r.orderValue > 0 ? r.orderValue : state.data.meanOrderValue;
        const p = predictUplift(state.model, r.features);
        return {
          treated: r.treated,
          revenue: r.revenue,
          churnRisk: r.churnRisk,
          profit: expectedIncrementalProfit(p, {
            orderValue,
            margin: t.margin,
            discountPerOrder: discountPerOrder(settings.discount, orderValue),
          }),
        };
      }),
      share,
    );
  }
  return {
    by,
    requested: t.by,
    fallbackReason: state && !state.ok ? state.reason : null,
    chosen: new Set(chosen.map((c) => c.id)),
    candidates: cands.length,
    expectedDiscountCost: Math.round(chosen.reduce((s, c) => s + c.expectedCost, 0) * 100) / 100,
    comparison,
  };
}

/** Candidates' features now, read in pages (a large shop has hundreds of thousands of targets). */
async function readCandidates(
  sql: Sql,
  shop: string,
  standard: readonly Target[],
  now: Date,
): Promise<Array<{ features: number[]; orderValue: number }>> {
  const out: Array<{ features: number[]; orderValue: number }> = [];
  for (let s = 0; s < standard.length; s += PAGE) {
    const part = standard.slice(s, s + PAGE);
    const points = part.map((x) => ({ customerId: x.id, at: now }));
    const [histories, engagement] = await Promise.all([purchaseHistoriesBefore(sql, shop, points), engagementBefore(sql, shop, points)]);
    part.forEach((x, i) => {
      const h = histories[i]!;
      out.push({ features: upliftFeatures(historyAt(h, engagement[i]!, x.churnRisk), now.getTime()), orderValue: orderValueOf(h) });
    });
  }
  return out;
}

/** Forgets cached models (tests that change a shop's history between calls). */
export function clearUpliftCache(): void {
  cache.clear();
}

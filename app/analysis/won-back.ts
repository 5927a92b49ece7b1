import type { Sql } from "../db/sql";
import { DAY_MS } from "../domain/analytics/dates";
import { DEFAULT_SETTINGS } from "../domain/analytics/index";
import {
  countLevels,
  pastReturns,
  relapseCurve,
  wonBackHealth,
  type HealthCounts,
  type PastReturn,
  type RelapseCurve,
  type WindowRule,
  type WonBackHealth,
} from "../domain/analytics/won-back-health";
import {
  codeOutcomes,
  codeWindows,
  countCodeOutcomes,
  customerCodeOutcome,
  type CodeCounts,
  type CodeOutcome,
} from "../domain/analytics/code-outcome";
import { codeEndsAt } from "../domain/campaigns/settings";
import { redeemableCodes } from "../domain/campaigns/offer-versions";
import { firstPurchasesInWindows, purchaseColumnBatches, purchaseTotalsInWindows } from "../sync/store/purchases";
import { listCampaigns, membersWithWindows, type CampaignRow } from "../campaigns/store";
import { campaignVisits, sentCampaignMessages } from "../messaging/store";
import { cycleAndBuyChance } from "./store";
import { loadAnalysisSettings } from "./settings";

/**
 * Won-back customers' health and the campaigns' code outcomes (issue 15 items 1 and 6,
 * docs/decisions/102-visits-codes-and-won-back-health.md): read-only composition of the features'
 * read functions (members from campaigns, messages from messaging, orders from the sync, scores
 * from this feature) into the pure rules of app/domain/analytics/won-back-health.ts and
 * code-outcome.ts. Everything is computed at read time: no write per order.
 */

/** The shop's rule for a customer's window, from its analysis settings. */
async function windowRule(sql: Sql, shop: string): Promise<WindowRule & { longGapDays: number }> {
  const s = (await loadAnalysisSettings(sql, shop)).settings ?? DEFAULT_SETTINGS;
  return { gapMultiplier: s.overdue.gapMultiplier, horizonDays: s.prediction.horizonDays, longGapDays: s.lapse.atRiskDays };
}

/**
 * The shop's relapse curve from its whole order history (every past return after a gap of at least
 * the "at risk" days). It reads every qualifying order once, in columns, so it is kept per shop for
 * CURVE_TTL_MS: history moves slowly, and the dashboard must not rescan a million orders per view.
 * With `wait: false` (pages) a cold cache answers "not known yet" at once and the scan runs in the
 * background (one per shop and rule at a time); the next view has it. Until then the model decides.
 */
const CURVE_TTL_MS = 6 * 60 * 60_000;
type CurveEntry = { at: number; curve: RelapseCurve | null; returns: number };
const curveCache = new Map<string, CurveEntry>();
const curveInFlight = new Map<string, Promise<CurveEntry>>();

export async function shopRelapseCurve(
  sql: Sql,
  shop: string,
  rule: WindowRule & { longGapDays: number },
  now: Date,
  opts: { wait?: boolean } = {},
): Promise<{ curve: RelapseCurve | null; returns: number; pending?: boolean }> {
  const key = `${shop}|${rule.gapMultiplier}|${rule.horizonDays}|${rule.longGapDays}`;
  const hit = curveCache.get(key);
  if (hit && now.getTime() - hit.at < CURVE_TTL_MS && now.getTime() >= hit.at) return hit;
  let flight = curveInFlight.get(key);
  if (!flight) {
    flight = scanRelapseCurve(sql, shop, rule, now).then((entry) => {
      if (curveCache.size > 200) curveCache.delete(curveCache.keys().next().value!);
      curveCache.set(key, entry);
      return entry;
    });
    const forget = () => curveInFlight.delete(key);
    flight.then(forget, forget);
    curveInFlight.set(key, flight);
  }
  if (opts.wait !== false) return flight;
  // The page does not wait: a failed background scan is logged, and the next view tries again.
  flight.catch((e: unknown) => console.error(`[analysis] won-back relapse curve of ${shop} failed: ${(e as Error).message}`));
  return hit ?? { curve: null, returns: 0, pending: true };
}

async function scanRelapseCurve(sql: Sql, shop: string, rule: WindowRule & { longGapDays: number }, now: Date): Promise<CurveEntry> {
  const all: PastReturn[] = [];
  for await (const b of purchaseColumnBatches(sql, shop)) {
    for (let k = 0; k < b.customerIds.length; k++) {
      const at = b.at.subarray(b.starts[k]!, b.starts[k + 1]!);
      if (at.length > 1) for (const r of pastReturns(at, rule.longGapDays, rule, now.getTime())) all.push(r);
    }
  }
  return { at: now.getTime(), curve: relapseCurve(all), returns: all.length };
}

export interface WonBackMember {
  campaignId: string;
  customerId: string;
  holdout: boolean;
  reactivatedAt: Date;
  health: WonBackHealth;
}

/** Every won-back member of the shop's launched campaigns and programs with their health at `now`. */
export async function wonBackMembers(
  sql: Sql,
  shop: string,
  now: Date,
  only?: { customerId: string },
  opts: { waitForHistory?: boolean } = {},
): Promise<{ members: WonBackMember[]; calibration: { source: "shop_history" | "model"; returns: number; pending: boolean } }> {
  const rule = await windowRule(sql, shop);
  const back = (await membersWithWindows(sql, shop)).filter(
    (m) => m.reactivatedAt && (!only || m.customerId === only.customerId),
  ) as Array<{ campaignId: string; customerId: string; holdout: boolean; reactivatedAt: Date }>;
  const { curve, returns, pending } = await shopRelapseCurve(sql, shop, rule, now, { wait: opts.waitForHistory });
  const calibration = { source: curve ? ("shop_history" as const) : ("model" as const), returns, pending: pending === true };
  if (!back.length) return { members: [], calibration };
  const reactivated = back.map((m) => new Date(m.reactivatedAt));
  // The win-back order itself is at reactivatedAt: the next order is strictly after it.
  const [next, scores] = await Promise.all([
    firstPurchasesInWindows(
      sql,
      shop,
      back.map((m, i) => ({ customerId: m.customerId, from: new Date(reactivated[i]!.getTime() + 1) })),
    ),
    cycleAndBuyChance(sql, shop, [...new Set(back.map((m) => m.customerId))]),
  ]);
  const members = back.map((m, i) => {
    const s = scores.get(m.customerId);
    const health = wonBackHealth(
      {
        reactivatedAt: reactivated[i]!,
        nextOrderAt: next[i]?.processedAt ?? null,
        cycleDays: s?.medianGapDays ?? null,
        pBuy: s?.pBuy ?? null,
        horizonDays: rule.horizonDays,
      },
      now,
      rule,
      curve,
    );
    return { campaignId: m.campaignId, customerId: m.customerId, holdout: m.holdout, reactivatedAt: reactivated[i]!, health };
  });
  return { members, calibration };
}

/** When a customer's code from this campaign stops working: the campaign's end (plus grace), or for a program validity + grace days after their first message. */
function codeEnd(c: CampaignRow, firstSentAt: Date): Date | null {
  if (c.kind === "program")
    return new Date(firstSentAt.getTime() + (c.settings.discount.validityDays + c.settings.discount.graceDays) * DAY_MS);
  return c.discountEndsAt ? codeEndsAt(c.discountEndsAt, c.settings) : null;
}

/**
 * Code outcome per sent campaign message (and per customer and campaign) for the shop, or for one
 * campaign or one customer. Redemptions are read per message window in one query per campaign.
 */
export async function codeOutcomesOf(
  sql: Sql,
  shop: string,
  now: Date,
  filter: { campaignId?: string; customerId?: string } = {},
): Promise<{ byMessage: Map<string, CodeOutcome>; byCampaign: Map<string, Map<string, CodeOutcome>> }> {
  const [messages, campaigns] = await Promise.all([sentCampaignMessages(sql, shop, filter), listCampaigns(sql, shop)]);
  const campaignById = new Map(campaigns.map((c) => [c.id, c]));
  const byMessage = new Map<string, CodeOutcome>();
  const byCampaign = new Map<string, Map<string, CodeOutcome>>();
  const groups = new Map<string, Map<string, Array<{ id: string; sentAt: Date }>>>();
  for (const m of messages) {
    const c = campaignById.get(m.campaignId);
    // No code to redeem: the VIP branch's messages, or a campaign whose discount was never created
    // (an experiment's codes are its arms', a program's include its promoted offers'; ADR 104).
    if (!c || !redeemableCodes(c).length || m.kind === "winback_vip") {
      byMessage.set(m.id, "no_code");
      continue;
    }
    const perCustomer = groups.get(m.campaignId) ?? new Map<string, Array<{ id: string; sentAt: Date }>>();
    groups.set(m.campaignId, perCustomer);
    const list = perCustomer.get(m.customerId) ?? [];
    perCustomer.set(m.customerId, list);
    list.push({ id: m.id, sentAt: m.sentAt });
  }
  for (const [campaignId, perCustomer] of groups) {
    const c = campaignById.get(campaignId)!;
    const plans = [...perCustomer].map(([customerId, msgs]) => {
      const end = codeEnd(c, msgs.reduce((a, b) => (a.sentAt <= b.sentAt ? a : b)).sentAt);
      return { customerId, end, windows: codeWindows(msgs, end, now) };
    });
    const flat = plans.flatMap((p) => p.windows.map((w) => ({ customerId: p.customerId, from: w.from, to: w.to })));
    const totals = await redemptionsInWindows(
      sql,
      shop,
      flat,
      redeemableCodes(c).map((x) => x.code),
    );
    const outcomes = new Map<string, CodeOutcome>();
    let i = 0;
    for (const p of plans) {
      const counts = p.windows.map(() => totals[i++]!.redemptions);
      const o = codeOutcomes(p.windows, counts, p.end, now);
      for (const [id, v] of o) byMessage.set(id, v);
      outcomes.set(p.customerId, customerCodeOutcome(o.values()));
    }
    byCampaign.set(campaignId, outcomes);
  }
  return { byMessage, byCampaign };
}

/**
 * Redemptions of any of a campaign's codes per window. A member is eligible for one code only (their
 * tag's segment), so the sum over the codes is the member's own code's count; one statement per code.
 */
async function redemptionsInWindows(
  sql: Sql,
  shop: string,
  windows: Array<{ customerId: string; from: Date; to: Date }>,
  codes: string[],
): Promise<Array<{ redemptions: number }>> {
  const out = windows.map(() => ({ redemptions: 0 }));
  for (const code of codes)
    (await purchaseTotalsInWindows(sql, shop, windows, code)).forEach((t, i) => (out[i]!.redemptions += t.redemptions));
  return out;
}

export interface WonBackCampaignRow {
  campaignId: string;
  name: string;
  kind: "campaign" | "program";
  /** Treated members who came back, by health level. */
  treated: HealthCounts;
  /** Holdout members who came back on their own: the comparison for "do won-back customers stay?". */
  holdout: HealthCounts;
  codes: CodeCounts;
  visits: { visits: number; visitors: number };
}

export interface WonBackReport {
  overall: HealthCounts;
  holdoutOverall: HealthCounts;
  campaigns: WonBackCampaignRow[];
  calibration: { source: "shop_history" | "model"; returns: number; pending: boolean };
}

/** The dashboard's report: how many won-back customers are healthy, at risk or lapsed again, per campaign and overall. */
export async function wonBackReport(sql: Sql, shop: string, now: Date, opts: { waitForHistory?: boolean } = {}): Promise<WonBackReport> {
  const [{ members, calibration }, campaigns, codes] = await Promise.all([
    wonBackMembers(sql, shop, now, undefined, opts),
    listCampaigns(sql, shop),
    codeOutcomesOf(sql, shop, now),
  ]);
  const launched = campaigns.filter((c) => c.launchAt && c.status !== "draft" && c.status !== "launching");
  const rows = await Promise.all(
    launched.map(async (c): Promise<WonBackCampaignRow> => {
      const mine = members.filter((m) => m.campaignId === c.id);
      return {
        campaignId: c.id,
        name: c.name,
        kind: c.kind,
        treated: countLevels(mine.filter((m) => !m.holdout).map((m) => m.health)),
        holdout: countLevels(mine.filter((m) => m.holdout).map((m) => m.health)),
        codes: countCodeOutcomes(codes.byCampaign.get(c.id)?.values() ?? []),
        visits: await campaignVisits(sql, c.id),
      };
    }),
  );
  return {
    overall: countLevels(members.filter((m) => !m.holdout).map((m) => m.health)),
    holdoutOverall: countLevels(members.filter((m) => m.holdout).map((m) => m.health)),
    campaigns: rows,
    calibration,
  };
}

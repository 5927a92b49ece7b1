import { measureProgram, type ProgramMeasurement } from "../domain/campaigns/program-measure";
import type { CampaignMessageCounts } from "../messaging/types";
import type { CampaignDeps } from "./deps";
import { discountCost } from "./measure";
import { offerCost, sumOfferRedemptions, type OfferRedemptionRow, type OfferRedemptions } from "./offer-redemptions";
import { describeOffer } from "../domain/campaigns/experiment";
import { hasSeveralOffers, redeemableCodes } from "../domain/campaigns/offer-versions";
import { programMemberWindows, type ProgramRow } from "./store";
import { purchaseTotalsInWindows } from "../sync/store/purchases";
import { DAY_MS } from "../domain/analytics/dates";

export interface ProgramReport {
  measurement: ProgramMeasurement;
  deliveries: CampaignMessageCounts;
  discountCostMethod: string;
  /** per code when the program has promoted offers (ADR 104); null: its one code */
  discountByOffer: OfferRedemptionRow[] | null;
}

/**
 * A program measured over each member's own window (ADR 078): weekly cohorts, the rolling lift with
 * its interval, incremental revenue and the code's cost, from our copy of the orders. The discount
 * cost counts treated members' redemptions of the program code, derived from the code's terms as a
 * campaign's is (measure.ts discountCost).
 */
export async function measureProgramRow(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, c: ProgramRow): Promise<ProgramReport> {
  const windowDays = c.settings.reactivationWindowDays;
  const members = await programMemberWindows(deps.sql, c.id);
  const totals = await purchaseTotalsInWindows(
    deps.sql,
    c.shop,
    members.map((m) => ({ customerId: m.customerId, from: m.assignedAt, to: new Date(m.assignedAt.getTime() + windowDays * DAY_MS) })),
    c.discountCode,
  );
  const rows = members.map((m, i) => {
    const t = totals[i]!;
    return { ...m, firstAt: t.firstAt, revenue: Number(t.revenue), redemptions: t.redemptions, redeemedTotal: Number(t.redeemedTotal) };
  });
  let redemptions = 0;
  let redeemedPaid = 0;
  for (const r of rows) {
    if (r.holdout) continue;
    redemptions += r.redemptions;
    redeemedPaid += r.redeemedTotal;
  }
  // Promoted offers (ADR 104): each version's code over the members who joined with it, priced from its own offer.
  const offers = hasSeveralOffers(c) ? await programOfferRedemptions(deps, c, members, windowDays) : null;
  if (offers) redemptions = offers.redemptions;
  const { cost, method } = offers ?? discountCost(c, redemptions, redeemedPaid);
  const measurement = measureProgram(
    rows.map((r) => ({ assignedAt: r.assignedAt, holdout: r.holdout, firstOrderAt: r.firstAt, revenue: r.revenue })),
    { now: deps.now(), windowDays, discount: { redemptions, cost } },
  );
  return {
    measurement,
    deliveries: await deps.messageCounts(deps.sql, c.id),
    discountCostMethod: method,
    discountByOffer: offers?.rows ?? null,
  };
}

/** Each code of the program (its own, its promoted versions') counted over the treated members who joined with it, in their own windows. */
async function programOfferRedemptions(
  deps: Pick<CampaignDeps, "sql">,
  c: ProgramRow,
  members: Array<{ customerId: string; holdout: boolean; assignedAt: Date; offerVersion: number | null }>,
  windowDays: number,
): Promise<OfferRedemptions> {
  const keyOf = (v: number | null) => (v != null && v >= 2 ? String(v) : "");
  const rows: OfferRedemptionRow[] = [];
  for (const x of redeemableCodes(c)) {
    const mine = members.filter((m) => !m.holdout && keyOf(m.offerVersion) === x.key);
    const totals = await purchaseTotalsInWindows(
      deps.sql,
      c.shop,
      mine.map((m) => ({ customerId: m.customerId, from: m.assignedAt, to: new Date(m.assignedAt.getTime() + windowDays * DAY_MS) })),
      x.code,
    );
    const redemptions = totals.reduce((s, t) => s + t.redemptions, 0);
    const paid = totals.reduce((s, t) => s + Number(t.redeemedTotal), 0);
    rows.push({
      key: x.key,
      code: x.code,
      label: describeOffer(x.offer),
      redemptions,
      redeemedPaid: paid,
      ...offerCost(x.offer, redemptions, paid),
    });
  }
  return sumOfferRedemptions(rows);
}
